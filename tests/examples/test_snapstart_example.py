"""examples/snapstart.py under a fake SnapStart runtime, against moto."""

from __future__ import annotations

import pytest

from lambda_cache_di.snapstart import register_snapstart_hooks
from tests.unit.test_snapstart import FakeHooks, fake_snapstart_init


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> FakeHooks:
    """A SnapStart init with the runtime's hooks module in place."""
    return fake_snapstart_init(monkeypatch)


@pytest.fixture
def seeded(aws_client):
    aws_client("ssm", read_timeout=60).put_parameter(
        Name="/prod/orders/table", Value="orders-prod", Type="String"
    )
    aws_client("secretsmanager").create_secret(
        Name="/prod/db/conn_string", SecretString="postgres://db.internal:5432/orders"
    )


def test_init_fetches_the_parameter_and_not_the_secret(cold_start, hooks, seeded, moto_server):
    """Init makes one GetParameters call, leaves the secret unfetched, and registers once."""
    cold_start("examples.snapstart")  # the first import may run the module twice
    moto_server.reset_counts()
    module = cold_start("examples.snapstart")
    assert module.container.table_name.age is not None
    assert module.container.db_conn.age is None
    assert moto_server.requests == {"AmazonSSM.GetParameters": 1}
    registered = (len(hooks.before), len(hooks.after))
    assert register_snapstart_hooks(module.container) is True  # the example registered it
    assert (len(hooks.before), len(hooks.after)) == registered


def test_after_restore_everything_is_fetched_again(
    cold_start, hooks, seeded, aws_client, moto_server
):
    """After a restore one round fetches both values, so a changed parameter shows at once."""
    module = cold_start("examples.snapstart")
    hooks.snapshot()
    aws_client("ssm").put_parameter(
        Name="/prod/orders/table", Value="orders-new", Type="String", Overwrite=True
    )
    moto_server.reset_counts()
    hooks.restore()
    assert moto_server.requests == {
        "AmazonSSM.GetParameters": 1,
        "secretsmanager.GetSecretValue": 1,
    }
    assert module.handler({}, None) == {"table": "orders-new", "db_host": "db.internal"}
    assert sum(moto_server.requests.values()) == 2
