"""docs/testing.md: the orders handler with fakes, and against moto."""

from __future__ import annotations

import json

import pytest
from dependency_injector import providers

from lambda_cache_di import invalidate_all, set_clock


@pytest.fixture
def orders(cold_start):
    """The orders handler imported anew: a cold start with a new container."""
    return cold_start("lambda_cache_di.tools.demo_app.orders")


def test_handler_with_fakes(orders, tmp_path):
    """Overridden providers answer instead of AWS: no endpoint, no credentials needed."""
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"version": 7, "weights": {"book": 2.5}}))
    with orders.container.override_providers(
        table_name=providers.Object("orders-test"),
        db_conn=providers.Object("postgres://db.test:5432/orders"),
        model=providers.Object(model),
    ):
        result = orders.handler({"items": ["book", "pen"]}, None)
    assert result == {
        "table": "orders-test",
        "db_host": "db.test",
        "model_version": 7,
        "score": 2.5,
    }


@pytest.fixture
def orders_world(aws_client):
    """The parameter, secret and model of the orders handler, on the moto server."""
    ssm = aws_client("ssm", read_timeout=60)
    ssm.put_parameter(Name="/prod/orders/table", Value="orders-prod", Type="String")
    aws_client("secretsmanager").create_secret(
        Name="/prod/db/conn_string", SecretString="postgres://db.internal:5432/orders"
    )
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="models")
    model = {"version": 1, "weights": {"book": 1.5}}
    s3.put_object(Bucket="models", Key="churn/model.json", Body=json.dumps(model).encode())
    return ssm


@pytest.mark.lambda_context(function_name="orders", timeout_in_seconds=10)
def test_handler_against_moto(
    orders, orders_world, moto_endpoint, lambda_context, fake_clock, invalidate_caches
):
    """Values come from moto and stay cached within their max age, by the fake clock."""
    invalidate_caches(orders.container)
    set_clock(orders.container, fake_clock)
    assert orders.handler({"items": ["book"]}, lambda_context)["table"] == "orders-prod"
    orders_world.put_parameter(
        Name="/prod/orders/table", Value="orders-v2", Type="String", Overwrite=True
    )
    # table_name has max_age_in_seconds=300; a first value lives at least a quarter of it
    fake_clock.tick(74)
    assert orders.handler({"items": ["book"]}, lambda_context)["table"] == "orders-prod"
    fake_clock.tick(226)  # 300 s: expired whatever the spread of its first age
    assert orders.handler({"items": ["book"]}, lambda_context)["table"] == "orders-v2"


def test_invalidate_all_forgets_every_value(orders, orders_world, moto_endpoint):
    """After invalidate_all the next call fetches again, whatever the max age."""
    assert orders.handler({}, None)["table"] == "orders-prod"
    orders_world.put_parameter(
        Name="/prod/orders/table", Value="orders-v2", Type="String", Overwrite=True
    )
    invalidate_all(orders.container)
    assert orders.handler({}, None)["table"] == "orders-v2"
