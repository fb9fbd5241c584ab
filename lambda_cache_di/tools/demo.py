"""`lambda-cache-di demo`: an example handler on an embedded moto server, AWS calls counted.

The handler module is imported the way Lambda imports it (a cold start), then
invoked many times while a fake clock runs simulated time past the max ages;
the same invocations of a handler without a cache are counted beside it.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..providers.discovery import cached_providers, set_clock
from ..testing import FAKE_AWS_ENVIRONMENT, FakeClock, LambdaContext, MotoServer

DEMO_EVENT = {"order_id": "o-1", "items": ["book", "lamp"]}


@dataclass
class Run:
    """What one handler did over all invocations."""

    handler: str
    import_seconds: float = 0.0
    invoke_seconds: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    providers: list[tuple[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)


DEMO_APP = "lambda_cache_di.tools.demo_app"
DEFAULT_HANDLER = f"{DEMO_APP}.orders:handler"
DEFAULT_UNCACHED_HANDLER = f"{DEMO_APP}.orders_uncached:handler"
DEFAULT_SEED = f"{DEMO_APP}.world:seed"
DEMO_RANDOM_SEED = 2
MOTO_MISSING = (
    "demo: the demo runs an embedded moto server, and moto is not installed; "
    "install it with: pip install 'lambda-cache-di[demo]'"
)


def load(reference: str) -> Callable[..., Any]:
    """`module:function` (or the older `module.function`) → the function, importing the module."""
    module_name, colon, attribute = reference.partition(":")
    if not colon:
        module_name, _, attribute = reference.rpartition(".")
    if not module_name or not attribute:
        raise SystemExit(f"demo: {reference!r} is not MODULE:FUNCTION")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise SystemExit(
            f"demo: cannot import {module_name!r} ({exc}); "
            "pass --task-root, the folder that holds it"
        ) from None
    function: Callable[..., Any] | None = getattr(module, attribute, None)
    if not callable(function):
        raise SystemExit(f"demo: {module_name!r} has no function {attribute!r}")
    return function


def read_event(source: str) -> Any:
    """The event of `--event`: the JSON of file `source` if there is one, else `source` as JSON."""
    if os.path.isfile(source):
        with open(source, encoding="utf-8") as file:
            text, what = file.read(), f"file {source!r}"
    else:
        text, what = source, "--event"
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(
            f"demo: {what} is not JSON ({exc.msg}, line {exc.lineno}) "
            "and names no file; pass a JSON file or JSON text"
        ) from None


def _invoke(handler: Callable[..., Any], reference: str, event: Any, number: int) -> Any:
    """One invocation; a handler that raises ends the demo with where, not with a traceback."""
    try:
        return handler(event, LambdaContext(aws_request_id=f"demo-{number}"))
    except Exception as exc:
        # The type and the line only: a message could quote a value the handler holds.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        raise SystemExit(
            f"demo: {reference} raised {type(exc).__name__} at invocation {number + 1} "
            f"({frame.filename}, line {frame.lineno}); pass the event it expects "
            "with --event FILE|JSON"
        ) from None


def _moto_installed() -> bool:
    try:
        import moto.server  # noqa: F401  (the demo starts it next)
    except ImportError:
        return False
    return True


def run_handler(
    reference: str,
    server: MotoServer,
    invocations: int,
    interval: float,
    cached: bool,
    event: Any = DEMO_EVENT,
) -> Run:
    """A Run of handler `reference` called `invocations` times with `event`, `interval` s of
    fake time apart."""
    run = Run(reference)
    server.reset_counts()
    # The default spread of first ages is drawn at random: the same draws every run,
    # so the demo prints the same counts every time.
    random.seed(DEMO_RANDOM_SEED)
    started = time.perf_counter()
    handler = load(reference)
    run.import_seconds = time.perf_counter() - started
    container = getattr(sys.modules[handler.__module__], "container", None)
    clock = FakeClock()
    if cached and container is not None:
        set_clock(container, clock)
    started = time.perf_counter()
    for number in range(invocations):
        run.answers.append(_invoke(handler, reference, event, number))
        clock.tick(interval)
    run.invoke_seconds = time.perf_counter() - started
    run.requests = server.requests
    if container is not None:
        run.providers = list(cached_providers(container))
    return run


def run_demo(
    *,
    handler: str,
    uncached_handler: str | None,
    task_root: str,
    invocations: int,
    interval: float,
    seed: str = DEFAULT_SEED,
    event: Any = DEMO_EVENT,
    out: TextIO = sys.stdout,
) -> int:
    """Run the handlers on an embedded moto server, report to `out`, and return the exit status."""
    if not _moto_installed():
        print(MOTO_MISSING, file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    sys.path.insert(0, os.path.abspath(task_root))
    server = MotoServer()
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ["AWS_ENDPOINT_URL"] = server.start()
    try:
        load(seed)()
        cached = run_handler(handler, server, invocations, interval, cached=True, event=event)
        uncached = (
            run_handler(uncached_handler, server, invocations, interval, cached=False, event=event)
            if uncached_handler
            else None
        )
    finally:
        server.stop()
    print_report(out, cached, uncached, invocations, interval)
    if uncached is not None and uncached.answers != cached.answers:
        print("\nThe two handlers answered differently!", file=out)
        return 1
    return 0


def print_report(
    out: TextIO, cached: Run, uncached: Run | None, invocations: int, interval: float
) -> None:
    """Print to `out` the tables of provider stats, AWS requests and timings of the runs."""
    minutes = invocations * interval / 60
    print(
        f"{cached.handler}: {invocations} invocations, one every {interval:g} s "
        f"of simulated time ({minutes:g} min), against an embedded moto server\n",
        file=out,
    )
    print("| provider | resource | max age | hits | misses | errors |", file=out)
    print("|---|---|---:|---:|---:|---:|", file=out)
    for name, provider in cached.providers:
        stats = provider.stats
        print(
            f"| {name} | {provider.resource} | {provider.max_age_in_seconds:g} s "
            f"| {stats.hits} | {stats.misses} | {stats.errors} |",
            file=out,
        )
    runs = [cached] + ([uncached] if uncached else [])
    operations = sorted(set().union(*(run.requests for run in runs)))
    print(file=out)
    print("| AWS requests | " + " | ".join(_label(run, cached) for run in runs) + " |", file=out)
    print("|---|" + "---:|" * len(runs), file=out)
    for operation in operations:
        counts = " | ".join(str(run.requests[operation]) for run in runs)
        print(f"| {operation} | {counts} |", file=out)
    print(
        "| **total** | " + " | ".join(f"**{run.requests.total()}**" for run in runs) + " |",
        file=out,
    )
    print(
        "| cold start (import) | "
        + " | ".join(f"{run.import_seconds * 1000:.0f} ms" for run in runs)
        + " |",
        file=out,
    )
    print(
        "| all invocations | "
        + " | ".join(f"{run.invoke_seconds * 1000:.0f} ms" for run in runs)
        + " |",
        file=out,
    )
    if uncached is not None:
        print(
            f"\nSame answers from both handlers: {uncached.answers == cached.answers}. "
            f"Requests saved: {uncached.requests.total() - cached.requests.total()} "
            f"of {uncached.requests.total()}.",
            file=out,
        )


def _label(run: Run, cached: Run) -> str:
    kind = "with lambda-cache-di" if run is cached else "without a cache"
    return f"{kind} (`{run.handler}`)"
