"""`@event_source` and `@lambda_handler_decorator` in a wired module: the recipe and the failure."""

from __future__ import annotations

import hashlib
import hmac
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext as LambdaContextType
from dependency_injector.wiring import Provide, inject

from containers.powertools import PowertoolsValues
from examples.powertools_event_source import with_record_count
from lambda_cache_di.testing import LambdaContext
from tests.examples.framework_events import KEY, TABLE

BODIES = ["order 1", "order 2"]


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    """An SQS batch as Lambda delivers it, reduced to the fields the example reads."""
    return {
        "Records": [
            {"messageId": str(number), "body": body, "eventSource": "aws:sqs"}
            for number, body in enumerate(bodies)
        ]
    }


def signature(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


class TestAgainstMoto:
    def test_messages_are_signed_with_the_cached_key(self, cold_start, seeded, moto_server):
        """Both middlewares run, the injected key signs each message; warm calls fetch nothing."""
        module = cold_start("examples.powertools_event_source")
        expected = {
            "table": TABLE,
            "signatures": [signature(KEY, body) for body in BODIES],
            "received": 2,
        }
        assert module.handler(sqs_event(BODIES), LambdaContext()) == expected
        moto_server.reset_counts()
        assert module.handler(sqs_event(BODIES), LambdaContext()) == expected
        assert sum(moto_server.requests.values()) == 0


class TestWithFakes:
    def test_overridden_providers_are_injected(self, cold_start, moto_server):
        """Fakes given to the container's providers reach the injected function; no AWS call."""
        module = cold_start("examples.powertools_event_source")
        moto_server.reset_counts()
        with module.container.api_key.override("fake"), module.container.table_name.override("t"):
            result = module.handler(sqs_event(["x"]), LambdaContext())
        assert result == {"table": "t", "signatures": [signature("fake", "x")], "received": 1}
        assert sum(moto_server.requests.values()) == 0


# What the recipe avoids: markers on the function that the middlewares decorate.
@event_source(data_class=SQSEvent)
@inject
def inject_innermost(
    event: SQSEvent, context: LambdaContextType, api_key: str = Provide[PowertoolsValues.api_key]
) -> dict:
    return {"signatures": [signature(api_key, record.body) for record in event.records]}


@inject
@event_source(data_class=SQSEvent)
def inject_outermost(
    event: SQSEvent, context: LambdaContextType, api_key: str = Provide[PowertoolsValues.api_key]
) -> dict:
    return {"signatures": [signature(api_key, record.body) for record in event.records]}


@with_record_count
@inject
def own_middleware(
    event: dict, context: LambdaContextType, api_key: str = Provide[PowertoolsValues.api_key]
) -> dict:
    return {"signatures": [signature(api_key, record["body"]) for record in event["Records"]]}


@lambda_handler_decorator
def forwarding(handler: Callable, event: dict, context: LambdaContextType, **injected: Any) -> dict:
    return handler(event, context, **injected)


@forwarding
@inject
def forwarded(
    event: dict, context: LambdaContextType, api_key: str = Provide[PowertoolsValues.api_key]
) -> dict:
    return {"signatures": [signature(api_key, record["body"]) for record in event["Records"]]}


@pytest.fixture
def wired() -> Iterator[None]:
    """This module wired to a container whose key is a fake."""
    container = PowertoolsValues()
    container.api_key.override(KEY)
    container.wire(modules=[sys.modules[__name__]])
    yield
    container.unwire()


# By name: wiring replaces the module's attribute, which is what Lambda's runtime looks up.
DECORATED = {
    "event_source over inject": ("inject_innermost", "_event_source"),
    "inject over event_source": ("inject_outermost", "_event_source"),
    "own middleware over inject": ("own_middleware", "with_record_count"),
}


def handler_named(name: str) -> Callable[..., Any]:
    return getattr(sys.modules[__name__], name)  # type: ignore[no-any-return]


class TestMarkersOnADecoratedHandler:
    @pytest.mark.parametrize("case", DECORATED)
    def test_wiring_hands_the_values_to_the_middleware(self, wired, case):
        """Wiring patches the outer wrapper too, and the middleware refuses the injected keyword."""
        name, middleware = DECORATED[case]
        with pytest.raises(TypeError) as raised:
            handler_named(name)(sqs_event(BODIES), LambdaContext())
        assert str(raised.value) == f"{middleware}() got an unexpected keyword argument 'api_key'"

    @pytest.mark.parametrize("case", DECORATED)
    def test_leaving_the_module_unwired_injects_nothing(self, case):
        """Without wiring `@inject` is never bound: the function receives the marker itself."""
        name, _ = DECORATED[case]
        with pytest.raises(AttributeError, match="'Provide' object has no attribute 'encode'"):
            handler_named(name)(sqs_event(BODIES), LambdaContext())

    def test_a_middleware_that_forwards_keywords_works(self, wired):
        """A middleware of your own that passes `**kwargs` on to the handler lets wiring through."""
        result = handler_named("forwarded")(sqs_event(BODIES), LambdaContext())
        assert result == {"signatures": [signature(KEY, body) for body in BODIES]}
