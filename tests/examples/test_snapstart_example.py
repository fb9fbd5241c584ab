"""examples/snapstart.py under a fake SnapStart runtime, against moto."""

from __future__ import annotations

import sys

import pytest

from tests.unit.test_snapstart import FakeHooks


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> FakeHooks:
    module = FakeHooks()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return module


@pytest.fixture
def seeded(aws_client):
    aws_client("ssm", read_timeout=60).put_parameter(
        Name="/prod/orders/table", Value="orders-prod", Type="String"
    )
    aws_client("secretsmanager").create_secret(
        Name="/prod/db/conn_string", SecretString="postgres://db.internal:5432/orders"
    )


def test_init_prefetches_and_the_snapshot_holds_no_secret(cold_start, hooks, seeded):
    """Init fetches both values; before the snapshot only the secret is dropped."""
    module = cold_start("examples.snapstart")
    assert module.container.table_name.age is not None
    assert module.container.db_conn.age is not None
    hooks.snapshot()
    assert module.container.table_name.age is not None
    assert module.container.db_conn.age is None


def test_after_restore_everything_is_fetched_again(cold_start, hooks, seeded, aws_client):
    """After a restore every value is fetched again, so a changed parameter shows at once."""
    module = cold_start("examples.snapstart")
    hooks.snapshot()
    aws_client("ssm").put_parameter(
        Name="/prod/orders/table", Value="orders-new", Type="String", Overwrite=True
    )
    hooks.restore()
    assert module.handler({}, None) == {"table": "orders-new", "db_host": "db.internal"}
