"""(b) AWS requests for 1,000 invocations over 10 simulated minutes, max age 60 s.

We age our providers with a FakeClock (`set_clock`); the peers read the wall
clock, so their modules' `time`/`datetime` references are swapped for a
simulated clock for the duration (see `peers.time_patches`). Requests are
counted by the moto server, per operation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from lambda_cache_di import prefetch, set_clock
from lambda_cache_di.testing import FakeClock, MotoServer

from . import app, peers
from .common import SimTime, patched

INVOCATIONS = 1000
SECONDS = 600.0


def _invoke_all(handler: Callable[[], Any], tick: Callable[[float], None]) -> None:
    step = SECONDS / INVOCATIONS
    for _ in range(INVOCATIONS):
        handler()
        tick(step)


def ours(server: MotoServer, *, grouped: bool, with_prefetch: bool) -> Counter[str]:
    server.reset_counts()
    container = app.new_container(grouped)
    clock = FakeClock()
    set_clock(container, clock)
    if with_prefetch:
        assert prefetch(container) == {}
    handler = app.grouped_handler if grouped else app.handler
    _invoke_all(lambda: handler({}, None), clock.tick)
    container.unwire()
    return server.requests


def peer(server: MotoServer, name: str) -> Counter[str]:
    sim = SimTime()
    with patched(peers.time_patches(name, sim)):
        server.reset_counts()
        handler = peers.PEERS[name][1]()
        _invoke_all(lambda: handler({}, peers.context()), sim.tick)
        return server.requests


def run(server: MotoServer) -> dict[str, Counter[str]]:
    results = {
        "lambda-cache-di, one provider per value": ours(server, grouped=False, with_prefetch=False),
        "lambda-cache-di, one provider per value + prefetch": ours(
            server, grouped=False, with_prefetch=True
        ),
        "lambda-cache-di, SSMParameters + Secrets + S3File": ours(
            server, grouped=True, with_prefetch=False
        ),
    }
    for name, (label, _) in peers.PEERS.items():
        results[label] = peer(server, name)
    return results
