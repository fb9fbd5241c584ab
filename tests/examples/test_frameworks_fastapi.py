"""The FastAPI recipe through Mangum: against moto, with fakes, and the hazard it avoids."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dependency_injector.wiring import Provide, inject
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient
from mangum import Mangum

from containers.web import WebValues
from examples.fastapi_orders import authorize
from lambda_cache_di import set_clock
from lambda_cache_di.testing import LambdaContext
from tests.examples.framework_events import KEY, TABLE, http_api_event, json_body, rest_api_event

EVENTS = {"http-api": http_api_event, "rest-api": rest_api_event}

# Every way a caller could try to hand the route its own `api_key` or `table_name`.
ATTEMPTS: dict[str, dict[str, Any]] = {
    "query": {"query": {"api_key": "evil", "table_name": "evil"}},
    "header": {"headers": {"api_key": "evil", "api-key": "evil", "table-name": "evil"}},
}


@pytest.fixture
def orders(cold_start, seeded):
    """The example module after a cold start, its values in moto."""
    return cold_start("examples.fastapi_orders")


def invoke(module: Any, event: dict[str, Any]) -> dict[str, Any]:
    return module.handler(event, LambdaContext())


class TestAgainstMoto:
    @pytest.mark.parametrize("kind", EVENTS)
    def test_the_right_key_reads_the_table(self, orders, kind):
        """A request carrying the secret API key gets the table name from SSM."""
        response = invoke(orders, EVENTS[kind]("GET", "/orders", headers={"x-api-key": KEY}))
        assert response["statusCode"] == 200
        assert json_body(response) == {"table": TABLE, "orders": []}

    @pytest.mark.parametrize("attempt", ATTEMPTS)
    @pytest.mark.parametrize("kind", EVENTS)
    def test_request_cannot_replace_the_injected_key(self, orders, kind, attempt):
        """`api_key=evil` in the query or a header does not turn the key `evil` into a valid one."""
        headers = {"x-api-key": "evil", **ATTEMPTS[attempt].get("headers", {})}
        event = EVENTS[kind](
            "GET", "/orders", query=ATTEMPTS[attempt].get("query"), headers=headers
        )
        response = invoke(orders, event)
        assert (response["statusCode"], json_body(response)) == (401, {"detail": "bad API key"})

    @pytest.mark.parametrize("attempt", ATTEMPTS)
    @pytest.mark.parametrize("kind", EVENTS)
    def test_request_cannot_replace_the_injected_table(self, orders, kind, attempt):
        """`table_name=evil` in the query or a header leaves the injected table name as it is."""
        headers = {"x-api-key": KEY, **ATTEMPTS[attempt].get("headers", {})}
        event = EVENTS[kind](
            "GET", "/orders", query=ATTEMPTS[attempt].get("query"), headers=headers
        )
        assert json_body(invoke(orders, event)) == {"table": TABLE, "orders": []}

    @pytest.mark.parametrize("kind", EVENTS)
    def test_body_fields_named_like_the_arguments_are_ignored(self, orders, kind):
        """A JSON body with `api_key` and `table_name` fields changes neither injected value."""
        body = {"item": "book", "quantity": 2, "api_key": "evil", "table_name": "evil"}
        refused = invoke(
            orders, EVENTS[kind]("POST", "/orders", headers={"x-api-key": "evil"}, body=body)
        )
        accepted = invoke(
            orders, EVENTS[kind]("POST", "/orders", headers={"x-api-key": KEY}, body=body)
        )
        assert (refused["statusCode"], json_body(refused)) == (401, {"detail": "bad API key"})
        assert (accepted["statusCode"], json_body(accepted)) == (
            201,
            {"table": TABLE, "item": "book", "quantity": 2},
        )

    def test_openapi_schema_names_no_injected_argument(self, orders):
        """FastAPI's own schema of the routes has the header and the body, nothing injected."""
        schema = orders.app.openapi()["paths"]["/orders"]
        parameters = {
            verb: [(p["name"], p["in"]) for p in operation["parameters"]]
            for verb, operation in schema.items()
        }
        assert parameters == {"get": [("x-api-key", "header")], "post": [("x-api-key", "header")]}

    def test_test_client_sees_the_same(self, orders):
        """Through FastAPI's TestClient (no Mangum) the query cannot replace the key either."""
        with TestClient(orders.app) as client:
            refused = client.get("/orders?api_key=evil", headers={"x-api-key": "evil"})
            accepted = client.get("/orders?table_name=evil", headers={"x-api-key": KEY})
        assert (refused.status_code, refused.json()) == (401, {"detail": "bad API key"})
        assert (accepted.status_code, accepted.json()) == (200, {"table": TABLE, "orders": []})

    def test_first_invocation_is_served_by_the_lifespan_prefetch(self, orders, moto_server):
        """The lifespan's prefetch batches both values; the route then finds them cached."""
        moto_server.reset_counts()
        response = invoke(orders, http_api_event("GET", "/orders", headers={"x-api-key": KEY}))
        assert response["statusCode"] == 200
        assert moto_server.requests == {
            "AmazonSSM.GetParameters": 1,
            "secretsmanager.GetSecretValue": 1,
        }

    def test_lifespan_prefetch_fetches_once_for_many_invocations(self, orders, moto_server):
        """Mangum runs the lifespan per invocation; five make the requests of one cold start."""
        moto_server.reset_counts()
        event = http_api_event("GET", "/orders", headers={"x-api-key": KEY})
        for _ in range(5):
            assert invoke(orders, event)["statusCode"] == 200
        assert moto_server.requests == {
            "AmazonSSM.GetParameters": 1,
            "secretsmanager.GetSecretValue": 1,
        }

    def test_lifespan_prefetch_refetches_only_what_expired(self, orders, moto_server, fake_clock):
        """61 s on, the lifespan refetches the API key (60 s) but not the table name (300 s)."""
        set_clock(orders.container, fake_clock)
        event = http_api_event("GET", "/orders", headers={"x-api-key": KEY})
        assert invoke(orders, event)["statusCode"] == 200
        fake_clock.tick(61)
        moto_server.reset_counts()
        assert invoke(orders, event)["statusCode"] == 200
        assert moto_server.requests == {"secretsmanager.GetSecretValue": 1}


class TestWithFakes:
    def test_overridden_providers_are_injected_without_aws(self, cold_start, moto_server):
        """Fakes given to the container's providers reach the routes; AWS is never called."""
        module = cold_start("examples.fastapi_orders")
        moto_server.reset_counts()
        with (
            module.container.api_key.override("fake-key"),
            module.container.table_name.override("fake-table"),
        ):
            accepted = invoke(
                module, http_api_event("GET", "/orders", headers={"x-api-key": "fake-key"})
            )
            refused = invoke(module, http_api_event("GET", "/orders", headers={"x-api-key": KEY}))
        assert (accepted["statusCode"], json_body(accepted)) == (
            200,
            {"table": "fake-table", "orders": []},
        )
        assert refused["statusCode"] == 401
        assert sum(moto_server.requests.values()) == 0

    def test_query_cannot_replace_a_fake_either(self, cold_start):
        """With fakes in place, `?api_key=` in the request still cannot choose the key."""
        module = cold_start("examples.fastapi_orders")
        with (
            module.container.api_key.override("fake-key"),
            module.container.table_name.override("t"),
        ):
            event = http_api_event(
                "GET", "/orders", query={"api_key": "evil"}, headers={"x-api-key": "evil"}
            )
            assert invoke(module, event)["statusCode"] == 401


# What the recipe avoids: a Provide default without Depends is a query parameter to FastAPI.
unsafe_app = FastAPI()


@unsafe_app.get("/orders")
@inject
def list_orders_without_depends(
    x_api_key: str = Header(),
    api_key: str = Provide[WebValues.api_key],  # WRONG: FastAPI reads this from ?api_key=
) -> dict:
    authorize(x_api_key, api_key)
    return {"orders": []}


@pytest.fixture
def unsafe_handler() -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """The route above, wired to a container whose API key is the real one."""
    container = WebValues()
    container.api_key.override(KEY)
    container.wire(modules=[sys.modules[__name__]])
    handler = Mangum(unsafe_app, lifespan="off")
    yield lambda event: handler(event, LambdaContext())
    container.unwire()


class TestWithoutDepends:
    def test_plain_requests_hide_the_hazard(self, unsafe_handler):
        """Without `?api_key=` the marker default is injected, so ordinary tests pass."""
        good = unsafe_handler(http_api_event("GET", "/orders", headers={"x-api-key": KEY}))
        bad = unsafe_handler(http_api_event("GET", "/orders", headers={"x-api-key": "evil"}))
        assert (good["statusCode"], bad["statusCode"]) == (200, 401)

    @pytest.mark.parametrize("kind", EVENTS)
    def test_query_parameter_replaces_the_injected_secret(self, unsafe_handler, kind):
        """`?api_key=evil` with the header `evil` is let in: the caller chose the secret."""
        event = EVENTS[kind](
            "GET", "/orders", query={"api_key": "evil"}, headers={"x-api-key": "evil"}
        )
        response = unsafe_handler(event)
        assert (response["statusCode"], json_body(response)) == (200, {"orders": []})

    def test_openapi_schema_advertises_the_secret_as_a_query_parameter(self):
        """FastAPI documents the argument as `?api_key=`: the hazard is visible in the schema."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydantic: the marker default is not JSON
            operation = unsafe_app.openapi()["paths"]["/orders"]["get"]
        names = [(p["name"], p["in"]) for p in operation["parameters"]]
        assert names == [("api_key", "query"), ("x-api-key", "header")]
