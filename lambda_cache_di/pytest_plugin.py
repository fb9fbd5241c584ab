"""pytest plugin (entry point `pytest11`): a moto endpoint, a fake clock, a Lambda context.

Installed with lambda-cache-di; its fixtures are available in any test suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fetchers.clients import reset_default_clients
from .testing import FAKE_AWS_ENVIRONMENT, FakeClock, MotoServer


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the test session, on 127.0.0.1 and a free port."""
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto_endpoint(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of an empty moto server; providers with `client=None` talk to it meanwhile."""
    moto_server.reset()
    for variable, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    reset_default_clients()
    yield moto_server.endpoint
    reset_default_clients()


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that moves only on `tick(seconds)`."""
    return FakeClock()
