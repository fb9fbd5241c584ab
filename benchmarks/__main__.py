"""Run every benchmark and print one markdown table: `python -m benchmarks`.

Options: `--quick` (fewer rounds and runs, for a smoke test), `--s3-size-mb N`.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from . import calls, coldstart, derived, fleet, groups, import_cost, processes, redaction, warm
from .common import bench_server
from .fleet import SSM_DEFAULT_TPS

ROOT = Path(__file__).resolve().parent.parent
Row = tuple[str, str, str, str]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


def _breakdown(counts: Counter[str]) -> str:
    return ", ".join(f"{op.split('.')[-1]} {n}" for op, n in sorted(counts.items()))


def warm_rows(result: dict[str, Any]) -> list[Row]:
    us = result["us"]
    labels = dict.fromkeys(label for label, _ in us if not label.startswith("source "))
    rows: list[Row] = []
    names = {
        "ours": "lambda-cache-di: `@inject` + `Provide[...]` of cached providers",
        "object": "same handler injecting `providers.Object`",
        "constant": "reference: a pure-Python provider returning a constant",
    }
    for label in labels:
        rows.append(
            (
                "(a) warm path, µs per invocation",
                names.get(label, label),
                "1 value / 5 values",
                f"{us[(label, 1)]:.2f} / {us[(label, 5)]:.2f}",
            )
        )
    rows.append(
        (
            "(a) warm path",
            "reference ratio: constant pure-Python provider / `providers.Object`",
            "1 marker / 5 markers",
            f"{result['constant_1']:.2f}x / {result['constant_5']:.2f}x",
        )
    )
    rows.append(
        (
            "(a) warm path",
            "ratio lambda-cache-di / `providers.Object`",
            "1 marker (goal ≤1.45x) / 5 markers (goal ≤2.0x)",
            f"**{result['ratio_1']:.2f}x / {result['ratio_5']:.2f}x**",
        )
    )
    rows.append(
        (
            "(a) warm path",
            "`AppConfig` (one marker): µs per invocation; ratio to `SSMParameter`",
            "1 value (goal ≤1.10x)",
            f"{result['appconfig_us']:.2f}; **{result['appconfig_ratio']:.2f}x**",
        )
    )
    for label, ratio in result["sources"].items():
        rows.append(
            (
                "(a) warm path, 1 value",
                f"{label} / `SSMParameter` (goal ≤1.10x)",
                "µs per invocation; ratio",
                f"{us[('source ' + label, 1)]:.2f}; **{ratio:.2f}x**",
            )
        )
    return rows


def calls_rows(result: dict[str, Counter[str]]) -> list[Row]:
    return [
        (
            "(b) AWS requests, 1,000 invocations / 10 min",
            label,
            "requests",
            f"**{sum(counts.values())}** ({_breakdown(counts)})",
        )
        for label, counts in result.items()
    ]


def cold_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = coldstart.floor_rows(result)
    for variant, label in coldstart.VARIANTS.items():
        m = result["medians"][variant]
        requests = sum(result["requests"][variant].values())
        rows.append(
            (
                f"(c) cold start, {int(result['delay'] * 1000)} ms per request",
                label,
                "total ms (import incl. boto3 + init + first call) / requests",
                f"**{m['total_ms']:.0f}** ({m['import_ms']:.0f} + {m['init_ms']:.0f} + "
                f"{m['first_ms']:.0f}) / {requests}",
            )
        )
    ours = result["medians"]["ours_prefetch"]
    rows.append(
        (
            f"(c) cold start, {int(result['delay'] * 1000)} ms per request",
            "lambda-cache-di, after import: `prefetch` at module scope + first call",
            "ms (goal < 300)",
            f"**{ours['init_ms'] + ours['first_ms']:.0f}**",
        )
    )
    for variant in ("ours_prefetch", "lambda_cache_each", "powertools", "ssm_cache"):
        rows.append(
            (
                "(e) import time of the library with boto3, ms",
                coldstart.VARIANTS[variant].split(",")[0],
                "import (fresh process)",
                f"{result['medians'][variant]['import_ms']:.0f}",
            )
        )
    rows.append(
        (
            "(e) import time of the library, ms",
            "lambda-cache-di, this venv as is (moto's pydantic etc. present)",
            "import (fresh process)",
            f"{result['import_full_venv_ms']:.0f}",
        )
    )
    m = result["medians"]["ours_prefetch"]
    rows.append(
        (
            "(e) first invocation, ms",
            "lambda-cache-di after `prefetch` / without",
            "first call",
            f"{m['first_ms']:.1f} / {result['medians']['ours_lazy']['first_ms']:.0f}",
        )
    )
    return rows


def s3_rows(size_mb: int) -> list[Row]:
    script = ROOT / "benchmarks" / "s3_memory.py"
    if not script.exists():
        return [("(d) S3 download memory", "-", "-", "benchmarks/s3_memory.py not present")]
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.s3_memory", "--size-mb", str(size_mb)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if completed.returncode:
        return [("(d) S3 download memory", "-", "-", "failed: " + completed.stderr[-200:])]
    rows: list[Row] = []
    for line in completed.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 5:
            rows.append(
                (
                    f"(d) S3 download of {size_mb} MiB, peak RSS growth",
                    cells[0],
                    "growth (peak RSS) / time",
                    f"{cells[3]} ({cells[2]}) / {cells[4]}",
                )
            )
    return rows


def fleet_rows(result: dict[float | None, dict[str, float]]) -> list[Row]:
    return [
        (
            "(f) fleet: 100 environments, 12 parameters, max age 60 s (simulated)",
            "default (first value spread)" if jitter is None else f"jitter={jitter:g}",
            f"peak req/s (vs {SSM_DEFAULT_TPS} TPS): all / 2nd half; mean",
            f"{r['peak']:.0f} / **{r['steady_peak']:.0f}**; {r['mean']:.1f}",
        )
        for jitter, r in result.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke test)")
    parser.add_argument("--s3-size-mb", type=int, default=128)
    args = parser.parse_args(argv)
    rows: list[Row] = []
    with bench_server() as (server, latency):
        rows += warm_rows(
            warm.run(rounds=3 if args.quick else 15, calls=500 if args.quick else 2000)
        )
        rows += derived.rows(derived.run(rounds=3 if args.quick else 15))
        rows += calls_rows(calls.run(server))
        rows += cold_rows(coldstart.run(server, latency, runs=1 if args.quick else 7))
        rows += groups.rows(groups.run(server, latency, refreshes=2 if args.quick else 7))
    rows += import_cost.rows(import_cost.run(runs=3 if args.quick else 15))
    rows += s3_rows(8 if args.quick else args.s3_size_mb)
    rows += fleet_rows(fleet.run())
    rows += redaction.rows(redaction.run(rounds=3 if args.quick else 15))
    sizes = (1, 4) if args.quick else processes.SIZES
    rows += processes.cold_rows(processes.run_cold_starts(sizes), 0.05) + processes.fleet_rows()
    print(f"Machine: {machine()}\n")
    print("| workload | library / variant | measure | result |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
