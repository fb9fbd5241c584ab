"""(c) and (e): cold starts in fresh processes, 50 ms added to every request.

Each run is a new `python -m benchmarks.cold_child VARIANT` process, in the
lean venv of `lean_venv.py` (runtime dependencies only, as in a Lambda
bundle), against the shared moto server; the server counts its requests.
Variants take turns (interleaved), and the median of the runs is reported.
`python -m benchmarks.coldstart [--runs N]` runs this benchmark alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from lambda_cache_di.testing import MotoServer

from . import lean_venv
from .common import Latency

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "floor": "floor: hand-written boto3, 4 calls in parallel threads at init",
    "ours_grouped": "lambda-cache-di, one SSMParameters + one Secrets + S3File, `prefetch`",
    "ours_prefetch": "lambda-cache-di, one provider per value, `prefetch` at module scope",
    "ours_lazy": "lambda-cache-di, no prefetch (first call fetches)",
    "lambda_cache_each": "lambda-cache 0.8.1, one decorator per value",
    "lambda_cache_lists": "lambda-cache 0.8.1, two lists + 4 decorators",
    "powertools": "Powertools parameters",
    "ssm_cache": "ssm-cache (no secrets)",
    "secretsmanager_caching": "aws-secretsmanager-caching (3 secrets only)",
}
GOAL = 1.10  # total cold start of ours_grouped over the floor's


def _child(variant: str, *extra: str, lean: bool = True) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.cold_child", variant, *extra]
    env = dict(os.environ)
    if lean:
        command[0] = str(lean_venv.python())
        env = lean_venv.environment(env)
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def run(
    server: MotoServer,
    latency: Latency,
    runs: int = 7,
    delay: float = 0.05,
    variants: tuple[str, ...] = tuple(VARIANTS),
) -> dict[str, Any]:
    """Median phases and the request count of each variant's cold start."""
    venv_note = lean_venv.ensure()
    samples: dict[str, list[dict[str, Any]]] = {variant: [] for variant in variants}
    requests: dict[str, Counter[str]] = {}
    latency.delay = delay
    try:
        for variant in variants:  # one unmeasured start each: warms the OS file cache
            _child(variant)
        for _ in range(runs):
            for variant in variants:
                server.reset_counts()
                samples[variant].append(_child(variant))
                requests[variant] = server.requests
    finally:
        latency.delay = 0.0
    full_venv = [
        _child("ours_prefetch", "--full-venv", lean=False)["import_ms"] for _ in range(runs)
    ]
    medians = {
        variant: {key: statistics.median(s[key] for s in runs_) for key in runs_[0]}
        for variant, runs_ in samples.items()
    }
    ratios = [
        ours["total_ms"] / floor["total_ms"]
        for ours, floor in zip(samples["ours_grouped"], samples["floor"], strict=True)
    ]
    return {
        "medians": medians,
        "requests": requests,
        "runs": runs,
        "delay": delay,
        "import_full_venv_ms": statistics.median(full_venv),
        "venv": venv_note,
        "ratio": medians["ours_grouped"]["total_ms"] / medians["floor"]["total_ms"],
        "ratio_paired_median": statistics.median(ratios),
    }


def breakdown(m: dict[str, float]) -> str:
    """Total, then imports, clients and round trips (the rest: requests, threads, our code)."""
    rest = m["total_ms"] - m["import_ms"] - m["clients_ms"]
    return (
        f"**{m['total_ms']:.0f}** = imports {m['import_ms']:.0f} + clients "
        f"{m['clients_ms']:.0f} + round trips and the rest {rest:.0f}"
    )


def floor_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The floor, ours side by side, and the ratio with its goal."""
    workload = (
        f"(c) cold start vs the floor, {int(result['delay'] * 1000)} ms per request, "
        f"median of {result['runs']} interleaved runs; {result['venv']}"
    )
    rows = [
        (workload, VARIANTS[variant], "total ms = imports + clients + rest", breakdown(m))
        for variant, m in result["medians"].items()
        if variant in ("floor", "ours_grouped", "ours_prefetch")
    ]
    rows.append(
        (
            workload,
            "ratio lambda-cache-di (grouped) / floor",
            f"total, medians (paired median) (goal ≤{GOAL:.2f}x)",
            f"**{result['ratio']:.2f}x** ({result['ratio_paired_median']:.2f}x)",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    from .common import bench_server

    parser = argparse.ArgumentParser(description="cold starts only")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="comma-separated, 'floor' and 'ours_grouped' among them (default: all)",
    )
    args = parser.parse_args(argv)
    variants = tuple(args.variants.split(","))
    with bench_server() as (server, latency):
        result = run(server, latency, runs=args.runs, variants=variants)
    print("| workload | library / variant | measure | result |\n|---|---|---|---|")
    for row in floor_rows(result):
        print("| " + " | ".join(row) + " |")
    for variant, m in result["medians"].items():
        requests = sum(result["requests"][variant].values())
        print(f"| (c) | {VARIANTS[variant]} | total / requests | {breakdown(m)} / {requests} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
