"""(a) The warm path: cost per invocation once every value is cached.

Our handler with `@inject` and one or five `Provide[...]` markers of cached
providers is timed against the same handler injecting `providers.Object`,
interleaved in one run; the peers' warm paths are timed in the same rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, inject

from lambda_cache_di import (
    AppConfig,
    CachedCall,
    DynamoDBItems,
    DynamoDBValue,
    SSMParameter,
    prefetch,
)
from lambda_cache_di.testing.appconfig import FakeAppConfigData

from .common import per_call_us
from .dataset import PARAMETERS, SECRETS
from .peers import context

HOUR = 3600


class Cached(containers.DeclarativeContainer):
    v0 = SSMParameter(PARAMETERS[0], max_age_in_seconds=HOUR)
    v1 = SSMParameter(PARAMETERS[1], max_age_in_seconds=HOUR)
    v2 = SSMParameter(PARAMETERS[2], max_age_in_seconds=HOUR)
    v3 = SSMParameter(PARAMETERS[3], max_age_in_seconds=HOUR)
    v4 = SSMParameter(PARAMETERS[4], max_age_in_seconds=HOUR)


class Flags(containers.DeclarativeContainer):
    client = providers.Object(None)
    v0 = AppConfig("bench", "prod", "flags", client=client, max_age_in_seconds=HOUR)


class _DynamoDB:
    """Canned DynamoDB answers: the warm path never reaches the client, only the first fill."""

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": {"value": {"S": "value"}}, "ConsumedCapacity": {"CapacityUnits": 0.5}}

    def query(self, **_: Any) -> dict[str, Any]:
        return {"Items": [{"sk": {"S": "a"}, "value": {"S": "value"}}]}


class Sources(containers.DeclarativeContainer):
    """The sources added after SSM, Secrets Manager and S3, one value each."""

    dynamodb_value = DynamoDBValue("bench", "key", max_age_in_seconds=HOUR, client=_DynamoDB())
    dynamodb_items = DynamoDBItems("bench", "key", max_age_in_seconds=HOUR, client=_DynamoDB())
    call = CachedCall(lambda: "value", name="bench", max_age_in_seconds=HOUR)


@inject
def dynamodb_value_one(event: Any, context: Any, v0: Any = Provide[Sources.dynamodb_value]) -> Any:
    return v0


@inject
def dynamodb_items_one(event: Any, context: Any, v0: Any = Provide[Sources.dynamodb_items]) -> Any:
    return v0


@inject
def call_one(event: Any, context: Any, v0: Any = Provide[Sources.call]) -> Any:
    return v0


# Label of each new source's handler; compared with SSMParameter's ("ours", 1).
SOURCE_HANDLERS = {
    "DynamoDBValue": dynamodb_value_one,
    "DynamoDBItems": dynamodb_items_one,
    "CachedCall": call_one,
}


class Constant(providers.Provider):  # type: ignore[type-arg]
    """The least a pure-Python provider can do: the reference for dispatch overhead."""

    __slots__ = ()

    def _provide(self, args: Any, kwargs: Any) -> str:
        return "value"


class Reference(containers.DeclarativeContainer):
    v0 = Constant()
    v1 = Constant()
    v2 = Constant()
    v3 = Constant()
    v4 = Constant()


class Plain(containers.DeclarativeContainer):
    v0 = providers.Object("value-0")
    v1 = providers.Object("value-1")
    v2 = providers.Object("value-2")
    v3 = providers.Object("value-3")
    v4 = providers.Object("value-4")


@inject
def cached_one(event: Any, context: Any, v0: str = Provide[Cached.v0]) -> Any:
    return v0


@inject
def cached_five(
    event: Any,
    context: Any,
    v0: str = Provide[Cached.v0],
    v1: str = Provide[Cached.v1],
    v2: str = Provide[Cached.v2],
    v3: str = Provide[Cached.v3],
    v4: str = Provide[Cached.v4],
) -> Any:
    return v4


@inject
def appconfig_one(event: Any, context: Any, v0: str = Provide[Flags.v0]) -> Any:
    return v0


@inject
def plain_one(event: Any, context: Any, v0: str = Provide[Plain.v0]) -> Any:
    return v0


@inject
def plain_five(
    event: Any,
    context: Any,
    v0: str = Provide[Plain.v0],
    v1: str = Provide[Plain.v1],
    v2: str = Provide[Plain.v2],
    v3: str = Provide[Plain.v3],
    v4: str = Provide[Plain.v4],
) -> Any:
    return v4


@inject
def constant_one(event: Any, context: Any, v0: str = Provide[Reference.v0]) -> Any:
    return v0


@inject
def constant_five(
    event: Any,
    context: Any,
    v0: str = Provide[Reference.v0],
    v1: str = Provide[Reference.v1],
    v2: str = Provide[Reference.v2],
    v3: str = Provide[Reference.v3],
    v4: str = Provide[Reference.v4],
) -> Any:
    return v4


def _bare(event: Any, context: Any) -> Any:
    return event


def _peer_handlers(count: int) -> dict[str, Callable[[], Any]]:
    """Warm peer handlers reading `count` values."""
    import boto3
    from aws_lambda_powertools.utilities import parameters
    from aws_secretsmanager_caching import SecretCache, SecretCacheConfig
    from lambda_cache import caching_logic, ssm
    from ssm_cache import SSMParameter as SsmCacheParameter

    names = PARAMETERS[:count]
    caching_logic.global_aws_lambda_cache = {}
    decorated = _bare
    for name in names:
        decorated = ssm.cache(parameter=name, max_age_in_seconds=HOUR)(decorated)
    ssm_cache_values = [SsmCacheParameter(name, max_age=HOUR) for name in names]
    secret_ids = [SECRETS[i % len(SECRETS)] for i in range(count)]
    secret_cache = SecretCache(
        SecretCacheConfig(secret_refresh_interval=HOUR), client=boto3.client("secretsmanager")
    )
    ctx = context()
    handlers: dict[str, Callable[[], Any]] = {
        "lambda-cache decorators": lambda: decorated({}, ctx),
        "ssm-cache `.value`": lambda: [value.value for value in ssm_cache_values],
        "Powertools `get_parameter`": lambda: [
            parameters.get_parameter(name, max_age=HOUR) for name in names
        ],
        "aws-secretsmanager-caching `get_secret_string`": lambda: [
            secret_cache.get_secret_string(secret) for secret in secret_ids
        ],
    }
    for handler in handlers.values():
        handler()  # fill the caches
    return handlers


@contextmanager
def _appconfig_filled() -> Iterator[Flags]:
    """A wired Flags container whose AppConfig value is cached, from the appconfigdata fake."""
    import boto3

    with FakeAppConfigData() as fake:
        fake.set_configuration("bench", "prod", "flags", '{"beta": true}')
        client = boto3.client("appconfigdata", endpoint_url=fake.endpoint)
        flags = Flags(client=client)
        flags.wire(modules=[__name__])
        flags.v0()
        yield flags


def run(rounds: int = 15, calls: int = 2000) -> dict[str, Any]:
    """Min over interleaved rounds of µs per invocation, for one and five values."""
    cached, plain, reference, sources = Cached(), Plain(), Reference(), Sources()
    for container in (cached, plain, reference, sources):
        container.wire(modules=[__name__])
    assert prefetch(cached) == {}
    assert prefetch(sources) == {}
    variants: dict[tuple[str, int], Callable[[], Any]] = {}
    handlers = (
        (1, cached_one, plain_one, constant_one),
        (5, cached_five, plain_five, constant_five),
    )
    for count, ours, theirs, constant in handlers:
        variants[("plain call", count)] = lambda: _bare({}, None)
        variants[("ours", count)] = lambda ours=ours: ours({}, None)  # type: ignore[misc]
        variants[("object", count)] = lambda theirs=theirs: theirs({}, None)  # type: ignore[misc]
        variants[("constant", count)] = lambda c=constant: c({}, None)  # type: ignore[misc]
        for label, handler in _peer_handlers(count).items():
            variants[(label, count)] = handler
    for label, source in SOURCE_HANDLERS.items():
        variants[("source " + label, 1)] = lambda source=source: source({}, None)  # type: ignore[misc]
    best = dict.fromkeys(variants, float("inf"))
    with _appconfig_filled() as flags:
        # Same handler shape as ("ours", 1), one AppConfig marker instead of an SSMParameter.
        appconfig: dict[tuple[str, int], Callable[[], Any]] = {
            ("appconfig", 1): lambda: appconfig_one({}, None)
        }
        best.update(dict.fromkeys(appconfig, float("inf")))
        for _ in range(rounds):
            for key, function in {**variants, **appconfig}.items():
                best[key] = min(best[key], per_call_us(function, calls))
        flags.unwire()
    for container in (cached, plain, reference, sources):
        container.unwire()
    appconfig_us = best.pop(("appconfig", 1))
    return {
        "appconfig_us": appconfig_us,
        "appconfig_ratio": appconfig_us / best[("ours", 1)],
        "us": best,
        "ratio_1": best[("ours", 1)] / best[("object", 1)],
        "ratio_5": best[("ours", 5)] / best[("object", 5)],
        "constant_1": best[("constant", 1)] / best[("object", 1)],
        "constant_5": best[("constant", 5)] / best[("object", 5)],
        "sources": {
            label: best[("source " + label, 1)] / best[("ours", 1)] for label in SOURCE_HANDLERS
        },
        "rounds": rounds,
        "calls": calls,
    }
