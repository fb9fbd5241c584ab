"""One cold start in a fresh process: `python -m benchmarks.cold_child VARIANT [--full-venv]`.

Prints JSON with milliseconds for three phases: importing the library, the
rest of the module-scope init (containers, clients, prefetch), and the first
invocation. Standard library only until the timed phases begin.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import importlib  # noqa: E402
import importlib.abc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

# Packages that moto's server pulls into this venv and a Lambda bundle would not
# hold; dependency-injector (and others) import them only when they are present.
NOT_IN_A_LAMBDA_BUNDLE = frozenset(
    {"pydantic", "pydantic_settings", "pydantic_core", "werkzeug", "flask"}
)

# Every peer imports boto3 when it is imported; lambda_cache_di waits for the
# first fetch. boto3 is imported in the import phase for every library alike,
# so the init and first-invocation phases compare the same work.
LIBRARIES = {
    "floor": ["boto3"],
    "ours_grouped": ["boto3", "lambda_cache_di"],
    "ours_prefetch": ["boto3", "lambda_cache_di"],
    "ours_lazy": ["boto3", "lambda_cache_di"],
    "lambda_cache_each": ["lambda_cache.ssm", "lambda_cache.secrets_manager", "lambda_cache.s3"],
    "lambda_cache_lists": ["lambda_cache.ssm", "lambda_cache.secrets_manager", "lambda_cache.s3"],
    "powertools": ["aws_lambda_powertools.utilities.parameters"],
    "ssm_cache": ["ssm_cache"],
    "secretsmanager_caching": ["aws_secretsmanager_caching"],
}


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in NOT_IN_A_LAMBDA_BUNDLE:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _init(variant: str) -> Any:
    """The module-scope work of the handler's module; returns the handler."""
    if variant == "floor":
        from . import floor

        return floor.handler
    if variant == "ours_grouped":
        from lambda_cache_di import prefetch

        from . import app_grouped

        failures = prefetch(app_grouped.new_container())
        assert not failures, failures
        return app_grouped.grouped_handler
    if variant.startswith("ours"):
        from lambda_cache_di import prefetch

        from . import app

        container = app.new_container()
        if variant == "ours_prefetch":
            failures = prefetch(container)
            assert not failures, failures
        return app.handler
    from . import peers

    return peers.PEERS[variant][1]()


class _ClientTimer:
    """Time spent making boto3 sessions and clients, whoever makes them (the 'clients' phase)."""

    def __init__(self) -> None:
        import threading

        self.seconds = 0.0
        self._lock = threading.Lock()
        self._depth = threading.local()

    def wrap(self, owner: Any, attribute: str) -> None:
        original = getattr(owner, attribute)
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(timer._depth, "value", 0)
            timer._depth.value = depth + 1
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer._depth.value = depth
                if depth == 0:  # only the outermost call: boto3.client makes a Session inside
                    with timer._lock:
                        timer.seconds += time.perf_counter() - began

        setattr(owner, attribute, timed)


def main() -> None:
    variant = sys.argv[1]
    if "--full-venv" not in sys.argv:
        sys.meta_path.insert(0, _Hide())
    began = time.perf_counter()
    for module in LIBRARIES[variant]:
        importlib.import_module(module)
    imported = time.perf_counter()
    clients = _ClientTimer()
    boto3 = importlib.import_module("boto3")  # imported already, but by one peer
    clients.wrap(boto3.session.Session, "__init__")
    clients.wrap(boto3.session.Session, "client")
    clients.wrap(boto3, "client")
    handler = _init(variant)
    initialised = time.perf_counter()
    handler({}, type("Context", (), {})())
    invoked = time.perf_counter()
    print(
        json.dumps(
            {
                "import_ms": (imported - began) * 1e3,
                "init_ms": (initialised - imported) * 1e3,
                "first_ms": (invoked - initialised) * 1e3,
                "total_ms": (invoked - began) * 1e3,
                "clients_ms": clients.seconds * 1e3,
                "before_ms": (began - STARTED) * 1e3,
            }
        )
    )


if __name__ == "__main__":
    main()
