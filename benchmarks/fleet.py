"""(f) Fleet simulation: peak SSM requests per second with and without TTL jitter.

A pure simulation, no network: N execution environments start during a
scale-out burst, each with a container of twelve `SSMParameter` providers
(max age 60 s) that share one fake SSM client and one FakeClock; each
environment runs `prefetch` at its start, then is invoked once a second for
ten simulated minutes. The fake client counts requests per simulated second,
to compare with SSM's default throughput of 40 requests per second.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from dependency_injector import containers

from lambda_cache_di import SSMParameter, prefetch, set_clock
from lambda_cache_di.testing import FakeClock

from .dataset import PARAMETERS

SSM_DEFAULT_TPS = 40


class CountingSSM:
    """A fake SSM client that answers every name and counts requests per simulated second."""

    meta = None

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.per_second: Counter[int] = Counter()

    def _count(self) -> None:
        self.per_second[int(self.clock())] += 1

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self._count()
        return {"Parameter": {"Name": Name, "Value": "v", "Type": "String"}}

    def get_parameters(self, Names: list[str], WithDecryption: bool) -> dict[str, Any]:
        self._count()
        return {"Parameters": [{"Name": n, "Value": "v", "Type": "String"} for n in Names]}


def simulate(
    jitter: float | None,
    environments: int = 100,
    burst_seconds: float = 10.0,
    seconds: int = 600,
    seed: int = 7,
) -> dict[str, float]:
    """Peak and mean requests per second over the run, and the peak in the second half.

    `jitter=None` leaves the providers' default (the first value spread).
    """
    random.seed(seed)  # the jitter and the start times, reproducibly
    clock = FakeClock(start=0.0)
    client = CountingSSM(clock)
    spread = {} if jitter is None else {"jitter": jitter}
    declared = {
        f"p{i}": SSMParameter(name, client=client, max_age_in_seconds=60, **spread)
        for i, name in enumerate(PARAMETERS)
    }
    kind = type("Environment", (containers.DeclarativeContainer,), declared)
    starts = sorted(random.uniform(0, burst_seconds) for _ in range(environments))
    running: list[tuple[float, list[Any]]] = []  # (next invocation, providers)
    steps_per_second = 10
    step = 0
    while clock() < seconds:
        while starts and starts[0] <= clock():
            starts.pop(0)
            container = kind()
            set_clock(container, clock)
            prefetch(container, max_workers=1)
            running.append((clock(), [getattr(container, f"p{i}") for i in range(12)]))
        for index, (due, providers) in enumerate(running):
            if due <= clock():
                for provider in providers:
                    provider()
                running[index] = (due + 1.0, providers)
        # Whole tenths, not sums of 0.1: no drift moves a refresh into the next second.
        step += 1
        clock.tick(step / steps_per_second - clock())
    counts = client.per_second
    steady = [counts[second] for second in range(seconds // 2, seconds)]
    return {
        "peak": max(counts.values()),
        "steady_peak": max(steady),
        "mean": sum(counts.values()) / seconds,
    }


def run(
    jitters: tuple[float | None, ...] = (0.0, 0.1, 0.25, None),
) -> dict[float | None, dict[str, float]]:
    return {jitter: simulate(jitter) for jitter in jitters}
