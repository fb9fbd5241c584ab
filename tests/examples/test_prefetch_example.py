"""The prefetch example, against the moto server and with providers overridden by fakes."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from containers.prefetch_app import PrefetchApp


@pytest.fixture
def cold_start() -> Callable[[str], ModuleType]:
    """Import a module exactly once, anew: its module-scope prefetch runs one time."""

    def load(module_name: str) -> ModuleType:
        sys.modules.pop(module_name, None)
        return importlib.import_module(module_name)

    return load


@pytest.fixture
def seeded(aws_client):
    """The parameters, secret and file the example reads."""
    ssm = aws_client("ssm")
    ssm.put_parameter(Name="/prod/orders/table", Value="orders", Type="String")
    ssm.put_parameter(Name="/prod/orders/api_url", Value="https://api", Type="String")
    sm = aws_client("secretsmanager")
    sm.create_secret(Name="prod/db/credentials", SecretString=json.dumps({"user": "app"}))
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="churn/model.json", Body=b'{"w": 1}')


class TestAgainstMoto:
    def test_cold_start_fetches_everything_in_three_requests(self, cold_start, seeded, moto_server):
        """Import makes one request per service; the first invocation makes none."""
        moto_server.reset_counts()
        module = cold_start("examples.prefetch_app")
        assert module.failures == {}
        assert moto_server.requests == {
            "AmazonSSM.GetParameters": 1,
            "secretsmanager.GetSecretValue": 1,
            "s3:GET": 1,
        }
        moto_server.reset_counts()
        assert module.handler({}, None) == {
            "table": "orders",
            "api": "https://api",
            "user": "app",
            "model": '{"w": 1}',
        }
        assert sum(moto_server.requests.values()) == 0

    def test_missing_value_is_reported_not_raised(self, cold_start, aws_client, moto_server):
        """With nothing in AWS the import still succeeds and names each failed provider."""
        module = cold_start("examples.prefetch_app")
        assert sorted(module.failures) == ["api_url", "db", "model", "table_name"]


class TestWithFakes:
    def test_overridden_providers_make_no_request(self, cold_start, tmp_path: Path):
        """Providers overridden before the cold start are skipped by prefetch and injected."""
        model = tmp_path / "model.json"
        model.write_text("fake-model")
        with (
            PrefetchApp.table_name.override("t"),
            PrefetchApp.api_url.override("a"),
            PrefetchApp.db.override({"user": "u"}),
            PrefetchApp.model.override(model),
        ):
            module = cold_start("examples.prefetch_app")
            assert module.failures == {}
            assert module.handler({}, None) == {
                "table": "t",
                "api": "a",
                "user": "u",
                "model": "fake-model",
            }
            assert module.container.table_name.stats.misses == 0
