"""The Configuration-named example: names from the environment, end to end against moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from examples.db_creds import DbCreds
from lambda_cache_di import ConfigurationError, prefetch
from tests.cli import run_cli

REPOSITORY = Path(__file__).resolve().parents[2]
CREDS = {"host": "db.prod", "user": "orders", "password": "pw-5e1b"}
STAGE = {"TABLE_PARAMETER": "/prod/orders/table", "DB_SECRET": "prod/orders/db"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, aws_client: Any) -> Iterator[dict[str, str]]:
    """The stage's names in the environment, and its resources in moto."""
    aws_client("ssm").put_parameter(Name="/prod/orders/table", Value="orders", Type="String")
    aws_client("secretsmanager").create_secret(
        Name="prod/orders/db", SecretString=json.dumps(CREDS)
    )
    for name, value in STAGE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CACHE_MAX_AGE", "120")
    yield STAGE


@pytest.fixture
def load(
    cold_start: Callable[[str], ModuleType], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], ModuleType]:
    """Cold-start the handler module with AwsClients pointed at the moto server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return lambda: cold_start("examples.configured_names")


class TestConfiguredNames:
    def test_handler(self, environment: dict[str, str], load: Callable[[], ModuleType]) -> None:
        """The handler reads the parameter and secret the environment names."""
        module = load()
        assert module.handler({}, None) == {
            "table": "orders",
            "db_host": "db.prod",
            "db_user": "orders",
        }
        assert module.container.table_name.max_age_in_seconds == 120.0
        assert module.container.db_creds() == DbCreds(**CREDS)

    def test_prefetch(self, environment: dict[str, str], load: Callable[[], ModuleType]) -> None:
        """prefetch resolves the names and fills both providers."""
        module = load()
        assert prefetch(module.container) == {}
        assert module.container.table_name.fresh and module.container.db_creds.fresh

    def test_unset_variable(
        self, load: Callable[[], ModuleType], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without TABLE_PARAMETER the first call says which argument and option are missing."""
        monkeypatch.delenv("TABLE_PARAMETER", raising=False)
        module = load()
        with pytest.raises(ConfigurationError) as caught:
            module.handler({}, None)
        assert str(caught.value) == (
            "name must be a str, not NoneType (resolved from config.table_parameter)"
        )

    def test_with_fakes(self, load: Callable[[], ModuleType]) -> None:
        """Overridden providers need no name at all: nothing is resolved."""
        module = load()
        container = module.container
        fake = DbCreds(host="localhost", user="test", password="test")
        with container.table_name.override("test-table"), container.db_creds.override(fake):
            assert module.handler({}, None) == {
                "table": "test-table",
                "db_host": "localhost",
                "db_user": "test",
            }
        assert repr(container.table_name).startswith(
            "<SSMParameter (not resolved: config.table_parameter)"
        )


class TestTools:
    """iam-policy and check resolve the names from the environment they run in."""

    def test_iam_policy(self) -> None:
        """The policy grants exactly the configured parameter and secret (no batch for one)."""
        done = run_cli(
            "iam-policy",
            "examples.configured_names:container",
            "--region",
            "eu-west-1",
            "--account",
            "111122223333",
            env=STAGE,
        )
        assert done.returncode == 0, done.stderr
        resources = {s["Sid"]: s["Resource"] for s in json.loads(done.stdout)["Statement"]}
        assert resources == {
            "ReadSSMParameters": ["arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/table"],
            "ReadSecrets": [
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders/db-??????"
            ],
        }

    def test_iam_policy_unset(self) -> None:
        """Without the variables, iam-policy names the unresolvable argument and exits 2."""
        done = run_cli("iam-policy", "examples.configured_names:container", env={})
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr == (
            "lambda-cache-di iam-policy: name must be a str, not NoneType "
            "(resolved from config.table_parameter)\n"
        )

    def test_check(self, environment: dict[str, str], moto_endpoint: str) -> None:
        """check resolves the names and fetches both, printing no value."""
        done = run_cli(
            "check",
            "examples.configured_names:container",
            env={**STAGE, "AWS_ENDPOINT_URL": moto_endpoint},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines() == [
            "PROVIDER    RESOURCE            RESULT",
            "table_name  /prod/orders/table  OK",
            "db_creds    prod/orders/db      OK",
            "2 providers, 0 failed",
        ]
        assert "pw-5e1b" not in done.stdout + done.stderr
