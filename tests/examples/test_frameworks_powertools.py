"""The Powertools resolver recipes: against moto, with fakes, and the hazard of route markers."""

from __future__ import annotations

import hmac
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.exceptions import UnauthorizedError
from dependency_injector.wiring import Provide, inject

from containers.powertools import PowertoolsValues
from lambda_cache_di.testing import LambdaContext
from tests.examples.framework_events import KEY, TABLE, http_api_event, json_body, rest_api_event

REFUSED = (401, {"statusCode": 401, "message": "bad API key"})

# Every way a caller could try to hand a route its own `api_key` or `table_name`.
ATTEMPTS: dict[str, dict[str, Any]] = {
    "query": {"query": {"api_key": "evil", "table_name": "evil"}},
    "header": {"headers": {"api_key": "evil", "api-key": "evil", "table-name": "evil"}},
}
# The example modules and the API Gateway payload each one serves.
EXAMPLES = {
    "rest-validated": ("examples.powertools_orders", rest_api_event),
    "http-depends": ("examples.powertools_http", http_api_event),
}


@pytest.fixture(params=EXAMPLES)
def example(request, cold_start, seeded) -> tuple[Any, Any]:
    """An example module after a cold start, its values in moto, and its event builder."""
    module_name, make_event = EXAMPLES[request.param]
    return cold_start(module_name), make_event


def schema_parameters(app: Any) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(path, verb) -> [(name, where)] of every operation in a resolver's OpenAPI schema."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic: a marker default is not JSON
        paths = app.get_openapi_schema().paths
    for path, item in paths.items():
        for verb in ("get", "post"):
            operation = getattr(item, verb)
            if operation is not None:
                found[(path, verb)] = [(p.name, p.in_.value) for p in operation.parameters or []]
    return found


def invoke(module: Any, event: dict[str, Any]) -> dict[str, Any]:
    return module.handler(event, LambdaContext())


def outcome(response: dict[str, Any]) -> tuple[int, Any]:
    return response["statusCode"], json_body(response)


class TestAgainstMoto:
    def test_the_right_key_reads_the_table(self, example):
        """A request carrying the secret API key gets the table name from SSM."""
        module, make_event = example
        response = invoke(module, make_event("GET", "/orders", headers={"x-api-key": KEY}))
        assert outcome(response) == (200, {"table": TABLE, "orders": []})

    @pytest.mark.parametrize("attempt", ATTEMPTS)
    def test_request_cannot_replace_the_injected_key(self, example, attempt):
        """`api_key=evil` in the query or a header does not turn the key `evil` into a valid one."""
        module, make_event = example
        headers = {"x-api-key": "evil", **ATTEMPTS[attempt].get("headers", {})}
        event = make_event("GET", "/orders", query=ATTEMPTS[attempt].get("query"), headers=headers)
        assert outcome(invoke(module, event)) == REFUSED

    @pytest.mark.parametrize("attempt", ATTEMPTS)
    def test_request_cannot_replace_the_injected_table(self, example, attempt):
        """`table_name=evil` in the query or a header leaves the injected table name as it is."""
        module, make_event = example
        headers = {"x-api-key": KEY, **ATTEMPTS[attempt].get("headers", {})}
        event = make_event("GET", "/orders", query=ATTEMPTS[attempt].get("query"), headers=headers)
        assert outcome(invoke(module, event)) == (200, {"table": TABLE, "orders": []})

    def test_openapi_schema_names_no_injected_value(self, example):
        """The resolver's schema of the recipe's routes has no parameter at all."""
        module, _ = example
        assert set(map(len, schema_parameters(module.app).values())) == {0}

    def test_warm_invocations_make_no_request(self, example, moto_server):
        """After the first invocation the values come from the cache."""
        module, make_event = example
        event = make_event("GET", "/orders", headers={"x-api-key": KEY})
        invoke(module, event)
        moto_server.reset_counts()
        for _ in range(3):
            assert invoke(module, event)["statusCode"] == 200
        assert sum(moto_server.requests.values()) == 0


class TestRestResolverWithValidation:
    """`examples.powertools_orders`: validation on, values passed through `append_context`."""

    @pytest.fixture
    def orders(self, cold_start, seeded):
        return cold_start("examples.powertools_orders")

    def test_body_fields_named_like_the_values_are_ignored(self, orders):
        """A validated JSON body with `api_key` and `table_name` fields changes neither value."""
        body = {"item": "book", "quantity": 2, "api_key": "evil", "table_name": "evil"}
        refused = invoke(
            orders, rest_api_event("POST", "/orders", headers={"x-api-key": "evil"}, body=body)
        )
        accepted = invoke(
            orders, rest_api_event("POST", "/orders", headers={"x-api-key": KEY}, body=body)
        )
        assert outcome(refused) == REFUSED
        assert outcome(accepted) == (200, {"table": TABLE, "item": "book", "quantity": 2})

    def test_validation_still_refuses_a_bad_body(self, orders):
        """The recipe keeps validation working: a body without `quantity` is a 422."""
        event = rest_api_event("POST", "/orders", headers={"x-api-key": KEY}, body={"item": "x"})
        assert invoke(orders, event)["statusCode"] == 422

    def test_no_value_stays_in_the_resolver_after_an_invocation(self, orders):
        """The resolver clears its context after each invocation, secret included."""
        invoke(orders, rest_api_event("GET", "/orders", headers={"x-api-key": KEY}))
        invoke(orders, rest_api_event("GET", "/orders", headers={"x-api-key": "evil"}))
        assert orders.app.context == {}


class TestHttpDependsUnderValidation:
    def test_same_routes_hold_with_validation_on(self, cold_start, seeded):
        """The parameterless dependencies of `powertools_http` hold with validation on."""
        module = cold_start("examples.powertools_http")
        validated = APIGatewayHttpResolver(enable_validation=True)
        validated.get("/orders")(module.list_orders)
        attack = http_api_event(
            "GET",
            "/orders",
            query={"api_key": "evil", "key": "evil"},
            headers={"x-api-key": "evil"},
        )
        good = http_api_event("GET", "/orders", query={"table": "evil"}, headers={"x-api-key": KEY})
        assert outcome(validated.resolve(attack, LambdaContext())) == REFUSED
        assert outcome(validated.resolve(good, LambdaContext())) == (
            200,
            {"table": TABLE, "orders": []},
        )


class TestWithFakes:
    @pytest.mark.parametrize("name", EXAMPLES)
    def test_overridden_providers_are_used_without_aws(self, cold_start, moto_server, name):
        """Fakes given to the container's providers reach the routes; AWS is never called."""
        module_name, make_event = EXAMPLES[name]
        module = cold_start(module_name)
        moto_server.reset_counts()
        with module.container.api_key.override("fake"), module.container.table_name.override("t"):
            accepted = invoke(module, make_event("GET", "/orders", headers={"x-api-key": "fake"}))
            refused = invoke(
                module,
                make_event("GET", "/orders", query={"api_key": KEY}, headers={"x-api-key": KEY}),
            )
        assert outcome(accepted) == (200, {"table": "t", "orders": []})
        assert outcome(refused) == REFUSED
        assert sum(moto_server.requests.values()) == 0


# What the recipes avoid: `Provide` markers in a route's own signature.
def check_key(app: APIGatewayHttpResolver, api_key: str) -> dict:
    presented = app.current_event.headers.get("x-api-key") or ""
    if not hmac.compare_digest(presented.encode(), api_key.encode()):
        raise UnauthorizedError("bad API key")
    return {"orders": []}


def resolver_with_markers(app: APIGatewayHttpResolver) -> APIGatewayHttpResolver:
    @app.get("/positional")
    @inject
    def positional(api_key: str = Provide[PowertoolsValues.api_key]) -> dict:
        return check_key(app, api_key)

    @app.get("/keyword-only")
    @inject
    def keyword_only(*, api_key: str = Provide[PowertoolsValues.api_key]) -> dict:
        return check_key(app, api_key)

    return app


WITH_MARKERS = {
    "validation-off": resolver_with_markers(APIGatewayHttpResolver()),
    # WRONG: under validation every parameter of a route is read from the request.
    "validation-on": resolver_with_markers(APIGatewayHttpResolver(enable_validation=True)),
}


@pytest.fixture
def wired() -> Iterator[None]:
    """The routes above, wired to a container whose API key is the real one."""
    container = PowertoolsValues()
    container.api_key.override(KEY)
    container.wire(modules=[sys.modules[__name__]])
    yield
    container.unwire()


class TestMarkersInRouteSignatures:
    @pytest.mark.parametrize("path", ["/positional", "/keyword-only"])
    @pytest.mark.parametrize("mode", WITH_MARKERS)
    def test_markers_are_injected_when_the_request_is_plain(self, wired, mode, path):
        """Without `?api_key=` the injected key is used, so ordinary tests pass in both modes."""
        good = http_api_event("GET", path, headers={"x-api-key": KEY})
        bad = http_api_event("GET", path, headers={"x-api-key": "evil"})
        app = WITH_MARKERS[mode]
        assert outcome(app.resolve(good, LambdaContext())) == (200, {"orders": []})
        assert outcome(app.resolve(bad, LambdaContext())) == REFUSED

    @pytest.mark.parametrize("path", ["/positional", "/keyword-only"])
    def test_without_validation_the_query_cannot_reach_a_marker(self, wired, path):
        """The resolver passes only path parameters to routes, so `?api_key=evil` is ignored."""
        event = http_api_event(
            "GET", path, query={"api_key": "evil"}, headers={"x-api-key": "evil"}
        )
        assert outcome(WITH_MARKERS["validation-off"].resolve(event, LambdaContext())) == REFUSED

    @pytest.mark.parametrize("path", ["/positional", "/keyword-only"])
    def test_with_validation_the_query_replaces_the_secret(self, wired, path):
        """Under validation `?api_key=evil` with the header `evil` gets in, keyword-only or not."""
        event = http_api_event(
            "GET", path, query={"api_key": "evil"}, headers={"x-api-key": "evil"}
        )
        response = WITH_MARKERS["validation-on"].resolve(event, LambdaContext())
        assert outcome(response) == (200, {"orders": []})

    @pytest.mark.parametrize("mode", WITH_MARKERS)
    def test_openapi_schema_advertises_the_marker_as_a_query_parameter(self, mode):
        """Either way, the generated schema documents `?api_key=` on both routes."""
        assert schema_parameters(WITH_MARKERS[mode]) == {
            ("/positional", "get"): [("api_key", "query")],
            ("/keyword-only", "get"): [("api_key", "query")],
        }
