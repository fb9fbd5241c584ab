"""pytest plugin (entry point `pytest11`), installed with lambda-cache-di.

Fixtures:

- `moto_server` (session): a moto server on 127.0.0.1 and a free port.
- `moto_endpoint`: resets that server and, for the test, points the
  environment at it (`AWS_ENDPOINT_URL`, fake credentials, `us-east-1`), so
  providers created with `client=None` talk to it; returns its URL.
- `fake_clock`: a `FakeClock` that moves only on `tick(seconds)`.
- `lambda_context`: a `LambdaContext`; `@pytest.mark.lambda_context(...)`
  passes keyword arguments to it (`timeout_in_seconds=`, `function_name=`, ...).
- `invalidate_caches`: call it with containers (`invalidate_caches(container)`)
  to drop their cached values at once; after the test their values are
  dropped again, and the clocks (`set_clock`) and overrides of their providers
  are put back as they were at the call.
- `lambda_runtime`: call it with a handler (`lambda_runtime("app.handler")`)
  to run that module under the real Lambda runtime interface client
  (`python -m awslambdaric`, which must be installed) polling a Runtime API
  emulator; it returns a `LambdaRuntime` whose `invoke(event)` returns the
  handler's JSON response. The process runs in the rootdir, with fake
  credentials, its own `TMPDIR`, and `AWS_ENDPOINT_URL` as the test has it
  (set by `moto_endpoint`). Keywords: `max_concurrency=` (workers, as
  `AWS_LAMBDA_MAX_CONCURRENCY`), `snap_start=True` (with `on_restore=`, called
  with the `LambdaRuntime` at `restore/next`), `environment=` (more variables), `cwd=`,
  `endpoint_url=`. Every runtime is killed, workers included, after the test.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from ..fetchers.clients import reset_default_clients
from ..providers.discovery import cached_providers, invalidate_all
from . import FAKE_AWS_ENVIRONMENT, MOTO_MISSING, FakeClock, LambdaContext, MotoServer
from .runtime import LambdaRuntime, run_handler

# Variables that would send a service's requests somewhere other than AWS_ENDPOINT_URL.
_SERVICE_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_SECRETSMANAGER",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lambda_context(**kwargs): keyword arguments for the lambda_context fixture's "
        "LambdaContext (timeout_in_seconds, function_name, memory_limit_in_mb, ...)",
    )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the test session, on 127.0.0.1 and a free port."""
    try:
        server = MotoServer()
    except ModuleNotFoundError as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:  # failed outside the except block: one line, no chain of tracebacks
        pytest.fail(missing if MOTO_MISSING in missing else MOTO_MISSING, pytrace=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto_endpoint(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of an empty moto server; providers with `client=None` talk to it meanwhile."""
    moto_server.reset()
    for variable, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(variable, value)
    for variable in ("AWS_PROFILE", *_SERVICE_ENDPOINT_VARIABLES):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    reset_default_clients()
    yield moto_server.endpoint
    reset_default_clients()


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that moves only on `tick(seconds)`."""
    return FakeClock()


@pytest.fixture
def lambda_context(request: pytest.FixtureRequest) -> LambdaContext:
    """A Lambda context object; configure it with `@pytest.mark.lambda_context(**kwargs)`."""
    marker = request.node.get_closest_marker("lambda_context")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    return LambdaContext(**options)


class _Snapshot:
    """What a test may change in a container: its providers' clocks and overrides."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self.clocks = [(provider, provider.clock) for _, provider in cached_providers(container)]
        self.overrides = [
            (provider, len(provider.overridden))
            for provider in (container, *container.traverse())
            if hasattr(provider, "reset_last_overriding")
        ]

    def restore(self) -> None:
        """Drop the values, and put the clocks and overrides back as they were."""
        for provider, count in self.overrides:
            while len(provider.overridden) > count:
                provider.reset_last_overriding()
        for cached, clock in self.clocks:
            cached.clock = clock
        invalidate_all(self.container)


@pytest.fixture
def invalidate_caches() -> Iterator[Callable[..., None]]:
    """Call with containers: their values are dropped now; after the test, again, and
    their clocks and overrides are restored."""
    snapshots: list[_Snapshot] = []

    def invalidate(*containers: Any) -> None:
        for container in containers:
            invalidate_all(container)
            snapshots.append(_Snapshot(container))

    yield invalidate
    # Newest first: a container registered twice ends as it was at its first registration.
    for snapshot in reversed(snapshots):
        snapshot.restore()


@pytest.fixture
def lambda_runtime(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., LambdaRuntime]]:
    """Run handler modules under awslambdaric; every one is stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(
            handler: str,
            *,
            max_concurrency: int | None = None,
            snap_start: bool = False,
            on_restore: Callable[[LambdaRuntime], None] | None = None,
            environment: Mapping[str, str] | None = None,
            cwd: str | os.PathLike[str] | None = None,
            endpoint_url: str | None = None,
        ) -> LambdaRuntime:
            if importlib.util.find_spec("awslambdaric") is None:
                pytest.fail("lambda_runtime needs awslambdaric: pip install awslambdaric")
            return stack.enter_context(
                run_handler(
                    handler,
                    cwd=request.config.rootpath if cwd is None else cwd,
                    tmpdir=tmp_path_factory.mktemp("lambda-runtime"),
                    endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL"),
                    max_concurrency=max_concurrency,
                    snap_start=snap_start,
                    environment=environment,
                    on_restore=on_restore,
                )
            )

        yield start
