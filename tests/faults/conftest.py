"""Fixtures of the fault tests: the fault proxy in front of moto, fast clients, a tally."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .proxy import FaultProxy
from .specs import CONNECT_TIMEOUT, ONE_ATTEMPT, READ_TIMEOUT


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of the (freshly reset) moto server, relaying until told otherwise."""
    with FaultProxy(moto_endpoint, delay_seconds=2 * READ_TIMEOUT) as server:
        yield server


@pytest.fixture
def direct(aws_client: Callable[..., Any]) -> Callable[[str], Any]:
    """Clients that talk to moto without the proxy, to set up data."""
    return aws_client


@pytest.fixture
def proxied(aws_client: Callable[..., Any], proxy: FaultProxy) -> Callable[..., Any]:
    """Clients through the proxy with one attempt per call.

    The read timeout is roomy, so that a busy CI machine never times out where
    no fault is set; tests of a hung endpoint pass `read_timeout=READ_TIMEOUT`.
    """

    def make(service: str, **config: Any) -> Any:
        options: dict[str, Any] = {
            "read_timeout": ROOMY_READ_TIMEOUT,
            "connect_timeout": CONNECT_TIMEOUT,
            "retries": ONE_ATTEMPT,
        }
        options.update(config)
        return aws_client(service, endpoint_url=proxy.url, **options)

    return make


ROOMY_READ_TIMEOUT = 2.0

_TALLY = pytest.StashKey[Counter[str]]()


@pytest.fixture
def fault_tally(request: pytest.FixtureRequest) -> Counter[str]:
    """Figures the fault matrix adds up over the session; printed in the terminal summary."""
    return request.config.stash.setdefault(_TALLY, Counter())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally:
        terminalreporter.write_line(
            f"fault matrix: {tally['cases']} cases (faults x states x providers), "
            f"{tally['calls']} calls, {tally['requests']} requests under fault; "
            f"wrong values {tally['wrong']}, partial files {tally['partial']}, "
            f"leaked values {tally['leaked']}, values in traceback frames {tally['in frames']}, "
            f"untyped errors {tally['untyped']}"
        )
