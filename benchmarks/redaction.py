"""(g) What redacting botocore's DEBUG records costs: a cache hit, and one fetch.

A cache hit never enters the redaction code; the hit is timed anyway, before
the filter exists and after, to show it. The `fetching()` context is timed on
its own against a no-op context (one `with` per fetch). A fetch is a `Secret.refresh()` on a
botocore Stubber (no network, so the figure is the client's own work), timed
with `fetching()` swapped for a no-op context and with the real one, botocore
at WARNING (DEBUG off) and at DEBUG. Variants are interleaved in each round;
the median of the rounds is reported.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
from collections.abc import Callable
from typing import Any

from lambda_cache_di import Secret
from lambda_cache_di.fetchers import errors as fetcher_errors
from lambda_cache_di.fetchers import redaction

from .common import per_call_us

RESPONSE = {"Name": "bench/secret", "SecretString": "x" * 64}


def _stubbed_secret(fetches: int) -> tuple[Any, Any]:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("secretsmanager", region_name="us-east-1")
    stubber = Stubber(client)
    for _ in range(fetches):
        stubber.add_response("get_secret_value", RESPONSE, {"SecretId": "bench/secret"})
    stubber.activate()
    return Secret("bench/secret", client=client, max_age_in_seconds=3600), stubber


def _fetch_us(fetches: int, redacting: bool) -> float:
    provider, _stubber = _stubbed_secret(fetches)
    real = fetcher_errors.fetching
    if not redacting:
        fetcher_errors.fetching = contextlib.nullcontext  # type: ignore[assignment]
    try:
        return per_call_us(provider.refresh, fetches)
    finally:
        fetcher_errors.fetching = real


def _hit_us(calls: int) -> float:
    provider, _stubber = _stubbed_secret(1)
    provider()
    return per_call_us(provider, calls)


def _enter_exit(make: Callable[[], Any]) -> None:
    with make():
        pass


def _context_us(calls: int, redacting: bool) -> float:
    make = redaction.fetching if redacting else contextlib.nullcontext
    return per_call_us(lambda: _enter_exit(make), calls)


def run(rounds: int = 15, calls: int = 100_000, fetches: int = 1000) -> dict[str, float]:
    """Median µs per call of each variant."""
    botocore_logger = logging.getLogger("botocore")
    level = botocore_logger.level
    # A handler that drops everything, so DEBUG costs the records but prints nothing.
    quiet = logging.NullHandler()
    botocore_logger.addHandler(quiet)
    samples: dict[str, list[float]] = {}
    variants: dict[str, tuple[int, Callable[[], float]]] = {
        "context alone, no-op": (logging.WARNING, lambda: _context_us(calls, False)),
        "context alone, DEBUG off": (logging.WARNING, lambda: _context_us(calls, True)),
        "context alone, DEBUG on": (logging.DEBUG, lambda: _context_us(calls, True)),
        "fetch, no redaction, DEBUG off": (logging.WARNING, lambda: _fetch_us(fetches, False)),
        "fetch, redaction, DEBUG off": (logging.WARNING, lambda: _fetch_us(fetches, True)),
        "fetch, no redaction, DEBUG on": (logging.DEBUG, lambda: _fetch_us(fetches, False)),
        "fetch, redaction, DEBUG on": (logging.DEBUG, lambda: _fetch_us(fetches, True)),
    }
    try:
        samples["hit, before the filter exists"] = [_hit_us(calls)]
        for _ in range(rounds):
            for name, (variant_level, measure) in variants.items():
                botocore_logger.setLevel(variant_level)
                samples.setdefault(name, []).append(measure())
        redaction.install()
        botocore_logger.setLevel(logging.WARNING)
        samples["hit, filter installed"] = [_hit_us(calls) for _ in range(rounds)]
    finally:
        botocore_logger.setLevel(level)
        botocore_logger.removeHandler(quiet)
    return {name: statistics.median(values) for name, values in samples.items()}


def rows(result: dict[str, float]) -> list[tuple[str, str, str, str]]:
    """Rows of the table `python -m benchmarks` prints."""
    return [
        ("(g) DEBUG redaction, µs per call", name, "median of rounds", f"{us:.2f}")
        for name, us in result.items()
    ]


if __name__ == "__main__":
    for name, us in run().items():
        print(f"{name}: {us:.2f} µs")
