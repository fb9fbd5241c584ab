"""(h) Several processes per environment: `python -m benchmarks.processes [--quick]`.

Two measures.

Cold starts: N processes (1, 4, 16, 64) start the prefetch example
(`examples/prefetch_app.py`) at the same moment, in one shared folder, against
the moto server with a latency added to every request, as the worker processes
of one Lambda Managed Instances environment do. Shared runs set
`AWS_LAMBDA_MAX_CONCURRENCY=N` (and `LAMBDA_CACHE_DI_SHARED=1` for N = 1);
unshared runs set `LAMBDA_CACHE_DI_SHARED=0`. Reported: the AWS requests the
server saw, and the time from launching the processes to each one's first
invocation returning (median and slowest).

Fleet: 1,000 environments x 16 processes, each process invoked once a second,
one SSM value with max age 60 s, started over a 10 s burst; an event simulation
of when each process (unshared) or each environment (shared) refreshes,
counted per second against SSM's default 40 TPS, with every value living its
exact max age (`jitter=0`) and with the providers' default spread of the first
value's age. Simulated, not measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import Latency
from .fleet import SSM_DEFAULT_TPS

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 4, 16, 64)
# A child reports when its first invocation returned, and any failure on the way: on a
# small machine, moto itself may answer too slowly for the clients' 3 s read timeout.
CHILD = (
    "import json, time\n"
    "import examples.prefetch_app as app\n"
    "try:\n"
    "    ok = app.handler({}, None)['table'] == 'orders'\n"
    "except Exception as exc:\n"
    "    ok = False\n"
    "print(json.dumps({'done': time.monotonic(), 'failures': len(app.failures), 'ok': ok}))\n"
)


def seed(endpoint: str) -> None:
    """The parameters, secret and file that the prefetch example reads."""
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    ssm = session.client("ssm", endpoint_url=endpoint)
    ssm.put_parameter(Name="/prod/orders/table", Value="orders", Type="String")
    ssm.put_parameter(Name="/prod/orders/api_url", Value="https://api", Type="String")
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    secrets.create_secret(Name="prod/db/credentials", SecretString='{"user": "app"}')
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="churn/model.json", Body=b'{"w": 1}')


def cold_start(processes: int, shared: bool, endpoint: str) -> dict[str, Any]:
    """Launch `processes` children at once in a fresh folder; their first-invocation times."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "shared"
        folder.mkdir(mode=0o700)
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, LAMBDA_CACHE_DI_DIR=str(folder))
        env["AWS_LAMBDA_MAX_CONCURRENCY"] = str(processes)
        env["LAMBDA_CACHE_DI_SHARED"] = "1" if shared else "0"
        env["PYTHONPATH"] = str(ROOT)
        began = time.monotonic()
        children = [
            subprocess.Popen(
                [sys.executable, "-c", CHILD],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        outputs = [child.communicate(timeout=600) for child in children]
    reports = []
    for (out, err), child in zip(outputs, children, strict=True):
        if child.returncode:
            raise RuntimeError(f"a child failed: {err[-500:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    ready = [(report["done"] - began) * 1000 for report in reports]
    return {
        "median_ms": statistics.median(ready),
        "max_ms": max(ready),
        "failures": sum(report["failures"] for report in reports),
        "errors": sum(not report["ok"] for report in reports),
    }


def run_cold_starts(sizes: tuple[int, ...] = SIZES, delay: float = 0.05) -> list[dict[str, Any]]:
    """Every size, shared and not, against one seeded moto server with `delay` per request."""
    import logging

    from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT, MotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ.pop("AWS_PROFILE", None)
    server = MotoServer()
    endpoint = server.start()
    wsgi_server = server._server._server
    latency = Latency(wsgi_server.app)
    wsgi_server.app = latency
    rows = []
    try:
        seed(endpoint)
        latency.delay = delay
        for processes in sizes:
            for shared in (False, True):
                server.reset_counts()
                result = cold_start(processes, shared, endpoint)
                result.update(processes=processes, shared=shared, requests=server.requests)
                rows.append(result)
    finally:
        server.stop()
    return rows


def simulate_fleet(
    shared: bool,
    environments: int = 1000,
    processes: int = 16,
    max_age: float = 60.0,
    burst: float = 10.0,
    seconds: int = 600,
    seed: int = 7,
    jitter: float | None = None,
) -> dict[str, float]:
    """Peak and mean SSM requests per second of a fleet refreshing one value.

    `jitter` as the providers take it: None for the library's default (the
    first value spread by `DEFAULT_FIRST_JITTER`, later ones not), else every
    value lives `max_age * (1 - jitter * random())`.
    """
    rng = random.Random(seed)
    per_second: Counter[int] = Counter()
    for _ in range(environments):
        start = rng.uniform(0, burst)
        # Each process is invoked once a second, at its own phase.
        phases = [rng.random() for _ in range(processes)]
        ages = _lifetimes(rng, max_age, jitter)
        if shared:
            # One value for the environment: the first process invoked after expiry refreshes.
            _refreshes(start, phases, ages, seconds, per_second)
        else:
            for phase in phases:
                _refreshes(start, [phase], _lifetimes(rng, max_age, jitter), seconds, per_second)
    counts = [per_second[second] for second in range(seconds)]
    after_burst = counts[int(burst + max_age) + 1 :]
    return {"peak": max(counts), "steady_peak": max(after_burst), "mean": sum(counts) / seconds}


def _lifetimes(rng: random.Random, max_age: float, jitter: float | None) -> Iterator[float]:
    """How long each value of one cache entry lives, as `CacheEntry` draws it."""
    from lambda_cache_di.providers.arguments import DEFAULT_FIRST_JITTER

    first, later = (DEFAULT_FIRST_JITTER, 0.0) if jitter is None else (jitter, jitter)
    spread = first
    while True:
        yield max_age * (1.0 - spread * rng.random()) if spread else max_age
        spread = later


def _refreshes(
    start: float, phases: list[float], ages: Iterator[float], seconds: int, counts: Counter[int]
) -> None:
    """Count the fetches of one value among processes invoked at `start + phase + n`."""
    fetched = start
    while fetched < seconds:
        counts[int(fetched)] += 1
        expiry = fetched + next(ages)
        # The next invocation at or after expiry, of any of the processes.
        fetched = min(start + phase + math.ceil(expiry - start - phase) for phase in phases)


def cold_rows(rows: list[dict[str, Any]], delay: float) -> list[tuple[str, str, str, str]]:
    table = []
    for row in rows:
        requests = row["requests"]
        breakdown = ", ".join(f"{op.split('.')[-1]} {n}" for op, n in sorted(requests.items()))
        table.append(
            (
                f"(h) {row['processes']} processes cold-start together, {delay * 1000:.0f} ms "
                "per request",
                "shared" if row["shared"] else "not shared (`LAMBDA_CACHE_DI_SHARED=0`)",
                "AWS requests / ms to first invocation, median (slowest)",
                f"**{sum(requests.values())}** ({breakdown}) / "
                f"{row['median_ms']:.0f} ({row['max_ms']:.0f})" + _trouble(row),
            )
        )
    return table


def _trouble(row: dict[str, Any]) -> str:
    if not row["failures"] and not row["errors"]:
        return ""
    return f"; prefetch failures {row['failures']}, failed first invocations {row['errors']}"


JITTERS = {"jitter=0 (before)": 0.0, "default (first value spread)": None}


def fleet_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for shared in (False, True):
        for label, jitter in JITTERS.items():
            result = simulate_fleet(shared, jitter=jitter)
            ratio = result["steady_peak"] / result["mean"]
            rows.append(
                (
                    "(h) fleet: 1,000 environments x 16 processes, one SSM value, "
                    "max age 60 s (simulated)",
                    ("shared" if shared else "not shared") + f", {label}",
                    f"SSM req/s (vs {SSM_DEFAULT_TPS} TPS): peak / peak after the first minute "
                    "/ mean (after-minute peak / mean)",
                    f"**{result['peak']:.0f}** / {result['steady_peak']:.0f} / "
                    f"{result['mean']:.1f} ({ratio:.1f}x)",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 4 processes only")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    delay = args.delay_ms / 1000
    rows = run_cold_starts((1, 4) if args.quick else SIZES, delay)
    print("| workload | variant | measure | result |")
    print("|---|---|---|---|")
    for row in cold_rows(rows, delay) + fleet_rows():
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
