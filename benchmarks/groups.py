"""Group refreshes: 25 SSM names and 45 secret ids, 150 ms added to every request.

One refresh of `SSMParameters` over 25 names needs 3 GetParameters calls, and
one of `Secrets` over 45 ids 3 BatchGetSecretValue calls; made at once, they
cost about one round trip. `python -m benchmarks.groups` runs this alone.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from lambda_cache_di import Secrets, SSMParameters
from lambda_cache_di.fetchers.clients import new_client, new_session
from lambda_cache_di.testing import MotoServer

from .common import Latency

NAMES = [f"/bench/groups/p{number:02}" for number in range(25)]
IDS = [f"bench/groups/s{number:02}" for number in range(45)]


def _seed(session: Any) -> None:
    ssm = new_client(session, "ssm")
    for name in NAMES:
        ssm.put_parameter(Name=name, Value=f"v-{name}", Type="SecureString", Overwrite=True)
    secretsmanager = new_client(session, "secretsmanager")
    existing = {s["Name"] for s in secretsmanager.list_secrets(MaxResults=100)["SecretList"]}
    for name in IDS:
        if name not in existing:
            secretsmanager.create_secret(Name=name, SecretString=f"s-{name}")


def run(
    server: MotoServer, latency: Latency, refreshes: int = 7, delay: float = 0.15
) -> dict[str, Any]:
    """Median and worst milliseconds of one refresh of each group, and its requests."""
    session = new_session()
    _seed(session)
    groups = {
        "SSMParameters, 25 names": SSMParameters(NAMES, client=new_client(session, "ssm")),
        "Secrets, 45 ids": Secrets(IDS, client=new_client(session, "secretsmanager")),
    }
    result: dict[str, Any] = {"delay": delay, "refreshes": refreshes, "groups": {}}
    latency.delay = delay
    try:
        for label, group in groups.items():
            group.refresh()  # unmeasured: opens the connections
            server.reset_counts()
            times = []
            for _ in range(refreshes):
                began = time.perf_counter()
                group.refresh()
                times.append((time.perf_counter() - began) * 1e3)
            result["groups"][label] = {
                "median_ms": statistics.median(times),
                "max_ms": max(times),
                "requests": sum(server.requests.values()) // refreshes,
            }
    finally:
        latency.delay = 0.0
    return result


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    delay_ms = result["delay"] * 1e3
    return [
        (
            f"(g) group refresh, {delay_ms:.0f} ms per request, {result['refreshes']} refreshes",
            label,
            "ms median (worst) / requests per refresh / round trips (goal < 2)",
            f"**{g['median_ms']:.0f}** ({g['max_ms']:.0f}) / {g['requests']} / "
            f"**{g['median_ms'] / delay_ms:.2f}**",
        )
        for label, g in result["groups"].items()
    ]


def main() -> int:
    from .common import bench_server

    with bench_server() as (server, latency):
        result = run(server, latency)
    print("| workload | library / variant | measure | result |\n|---|---|---|---|")
    for row in rows(result):
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
