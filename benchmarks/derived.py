"""(g) Derived: per-invocation cost of an object built from a secret, against Factory and Singleton.

A handler injects one small pydantic model built from a JSON secret, through
`Derived` (a warm hit: the secret cached, the model kept), `providers.Factory`
(the model built on every call), `providers.Singleton` (built once, never
again: the stale-forever reference for scale) and a cached provider that
builds the model at fetch (`transform=`). The secret comes from a stub client:
on a warm path no request is made. Run alone: `python -m benchmarks.derived`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, inject

from examples.app.credentials import DbCredentials
from lambda_cache_di import ConfigurationError, Derived, Secret

from .common import per_call_us

HOUR = 3600
SECRET = "bench/db"
DOCUMENT = json.dumps({"username": "app", "password": "pw", "host": "db.local", "port": 5432})


class StubSecrets:
    """A Secrets Manager client that answers GetSecretValue from memory."""

    def get_secret_value(self, **request: Any) -> dict[str, Any]:
        return {"Name": request["SecretId"], "SecretString": DOCUMENT}


def transformed_secret() -> tuple[Any, str]:
    """A Secret that caches the model itself, or (before `transform=` callables) an Object."""
    try:
        provider = Secret(
            SECRET,
            transform=DbCredentials.model_validate_json,
            max_age_in_seconds=HOUR,
            client=STUB,
        )
    except ConfigurationError:
        return providers.Object(DbCredentials.model_validate_json(DOCUMENT)), "`providers.Object`"
    return provider, "`Secret(transform=DbCredentials.model_validate_json)`"


STUB = StubSecrets()
TRANSFORMED, TRANSFORMED_LABEL = transformed_secret()


class Bench(containers.DeclarativeContainer):
    creds = Secret(SECRET, transform="json", max_age_in_seconds=HOUR, client=STUB)
    derived = Derived(DbCredentials.model_validate, creds)
    factory = providers.Factory(DbCredentials.model_validate, creds)
    singleton = providers.Singleton(DbCredentials.model_validate, creds)
    transformed = TRANSFORMED


@inject
def secret_only(event: Any, context: Any, creds: Any = Provide[Bench.creds]) -> Any:
    return creds


@inject
def derived(event: Any, context: Any, creds: DbCredentials = Provide[Bench.derived]) -> Any:
    return creds


@inject
def factory(event: Any, context: Any, creds: DbCredentials = Provide[Bench.factory]) -> Any:
    return creds


@inject
def singleton(event: Any, context: Any, creds: DbCredentials = Provide[Bench.singleton]) -> Any:
    return creds


@inject
def transformed(event: Any, context: Any, creds: DbCredentials = Provide[Bench.transformed]) -> Any:
    return creds


VARIANTS: dict[str, Callable[[Any, Any], Any]] = {
    "`Derived(DbCredentials.model_validate, secret)`, warm hit": derived,
    "`providers.Factory(DbCredentials.model_validate, secret)`": factory,
    "`providers.Singleton(DbCredentials.model_validate, secret)` (never refreshed)": singleton,
    f"{TRANSFORMED_LABEL}, warm hit": transformed,
    "reference: the JSON `Secret` alone (a dict), warm hit": secret_only,
}


def run(rounds: int = 15, calls: int = 2000) -> dict[str, float]:
    """Min over interleaved rounds of µs per invocation of each handler."""
    container = Bench()
    container.wire(modules=[__name__])
    try:
        for handler in VARIANTS.values():
            handler({}, None)  # fill caches, build the singleton and the derived object
        best = dict.fromkeys(VARIANTS, float("inf"))
        for _ in range(rounds):
            for label, handler in VARIANTS.items():
                best[label] = min(best[label], per_call_us(lambda h=handler: h({}, None), calls))
    finally:
        container.unwire()
    return best


def rows(result: dict[str, float]) -> list[tuple[str, str, str, str]]:
    """Rows for the table of `python -m benchmarks`."""
    return [
        ("(g) object built from a secret", label, "µs per invocation", f"{us:.2f}")
        for label, us in result.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke test)")
    args = parser.parse_args(argv)
    result = run(rounds=3 if args.quick else 15, calls=500 if args.quick else 2000)
    print("| handler injects a pydantic model through | µs per invocation |")
    print("|---|---|")
    for label, us in result.items():
        print(f"| {label} | {us:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
