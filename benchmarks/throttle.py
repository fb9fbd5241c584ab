"""(i) A fleet's burst of cold starts against AWS's quotas: `python -m benchmarks.throttle`.

Bursts of 100 to 1,000 environments started within 10 s (see `burst.py`), every
request counted against SSM's 40 TPS and Secrets Manager's quotas on a virtual
clock (`virtual_time.py`), side by side:

- the floor: the 40 TPS bucket alone, serving each request the moment it can;
- the library before this round's throttling work (`--before`, a git revision,
  run from an export of that revision in a subprocess);
- the library of this tree;
- botocore's standard retry mode alone, with no library (3 attempts).

Then 64 processes x 10 environments prefetching one secret each, counted
against GetSecretValue's and BatchGetSecretValue's quotas, and the shared
fleet's refreshes after the burst (jitter 0 against the default spread).
Deterministic: one seed. Options: `--quick` (100 and 200 only).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from . import burst, processes
from .quota import BATCH_GET_SECRET_VALUE_TPS, GET_SECRET_VALUE_TPS, SSM_TPS

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 200, 500, 1000)
# GetParameter and GetParameters together once higher throughput is enabled (charged
# per request), as AWS's Parameter Store quotas list it.
HIGHER_THROUGHPUT_TPS = 3000
SEEDS = (1, 2, 3)  # three bursts of each size, their outcomes added up
# The protocol branch as this work started: no throttling behaviour yet.
BEFORE = "927a4f9b9c00c33f2958d2e7bc8b641b3858a559"
# main before prefetch read a single secret with GetSecretValue.
BEFORE_SECRETS = "79877a1b3b73147f6842360ea5079ecc1eb032e2"


def library_runs(sizes: tuple[int, ...], secrets: bool = True) -> dict[str, Any]:
    """The library importable here, through every burst (and the secrets workload)."""
    import lambda_cache_di

    runs: dict[str, Any] = {
        "library": str(Path(lambda_cache_di.__file__).parent),
        "fleet": {str(n): added(burst.run_library, n) for n in sizes},
    }
    if secrets:
        runs["secrets"] = burst.run_library_at(burst.secrets_starts(), SEEDS[0], parameters=False)
    return runs


def added(run: burst.Runner, environments: int) -> burst.Result:
    """One outcome for the bursts of every seed: counts added, the slowest and longest kept."""
    results = [run(environments, seed) for seed in SEEDS]
    total = {key: sum(r[key] for r in results) for key in ("failed", "served", "throttled")}
    total.update(
        environments=environments,
        bursts=len(results),
        slowest=max(r["slowest"] for r in results),
        drain=max(r["drain"] for r in results),
        answered=sum(r.get("served_by_operation", {}).get("GetParameters", 0) for r in results),
        lost_answers=sum(r.get("lost_answers", 0) for r in results),
    )
    return total


def at_revision(revision: str, sizes: tuple[int, ...]) -> dict[str, Any] | None:
    """`library_runs` with the library as it was at `revision`; None if git cannot export it."""
    exported = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "lambda_cache_di"],
        capture_output=True,
        timeout=60,
    )
    if exported.returncode:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(fileobj=io.BytesIO(exported.stdout)) as archive:
            archive.extractall(scratch, filter="data")
        shutil.copytree(ROOT / "benchmarks", Path(scratch) / "benchmarks")
        # Run from the export: its lambda_cache_di comes first on sys.path.
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.throttle", "--json", "--sizes"]
            + [str(n) for n in sizes],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    if completed.returncode:
        raise RuntimeError(f"the run at {revision[:7]} failed: {completed.stderr[-800:]}")
    runs: dict[str, Any] = json.loads(completed.stdout)
    if not runs["library"].startswith(scratch):
        raise RuntimeError(f"the run at {revision[:7]} imported {runs['library']}")
    return runs


def burst_rows(sizes: tuple[int, ...], before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    lines = [
        "| environments (x 3 bursts) | variant | failed first invocations "
        "| slowest first invocation (s) "
        "| requests served / throttled (throttled per served) | time to drain (s) |",
        "|---|---|---|---|---|---|",
    ]
    for n in sizes:
        variants = [("floor: the 40 TPS bucket alone", added(burst.floor, n))]
        if n == max(sizes):
            budget = library_budget()
            variants += [
                (
                    "floor, first come first served with no one turned away",
                    added(functools.partial(burst.floor, turn_away=False), n),
                ),
                (
                    f"floor, answered within {budget:g} s (the library's default waits)",
                    added(functools.partial(burst.floor, within=budget), n),
                ),
                (
                    f"floor with SSM's higher throughput ({HIGHER_THROUGHPUT_TPS:,} TPS)",
                    added(lambda n, seed: burst.floor(n, seed, rate=HIGHER_THROUGHPUT_TPS), n),
                ),
            ]
        if before is not None:
            variants.append((f"lambda-cache-di before ({BEFORE[:7]})", before["fleet"][str(n)]))
        variants.append(("lambda-cache-di (this tree)", after["fleet"][str(n)]))
        if n >= 500:
            variants.append(
                (
                    "lambda-cache-di (this tree), 10 parameters: one request each",
                    added(lambda n, seed: burst.run_library(n, seed, names=10), n),
                )
            )
        variants.append(("botocore standard retries alone", added(burst.run_plain, n)))
        for label, result in variants:
            lines.append(f"| {n:,} | {label} | " + " | ".join(_cells(result)) + " |")
    return "\n".join(lines)


def where_the_quota_went(library: burst.Result, environments: int) -> str:
    """How close the library comes to the floor, and why not closer: where its answers went.

    `library`: this tree's bursts of `environments`, with the library's defaults;
    beside them, the same with the whole timeout given to waiting (no second
    left for the handler).
    """
    budget = library_budget()
    at_init, _ = library_waits()
    # The first-use wait that ends a tenth of a second inside the timeout.
    whole = burst.TIMEOUT_SECONDS - at_init - 0.1
    variants = [
        (f"defaults ({budget:g} s)", library, budget),
        (
            f"throttle_wait_in_seconds={whole:g} ({burst.TIMEOUT_SECONDS:g} s)",
            added(functools.partial(burst.run_library, throttle_wait=whole), environments),
            burst.TIMEOUT_SECONDS,
        ),
    ]
    lines = [
        "| waits | failed | floor within the same wait | GetParameters answered "
        "| of them, to invocations that failed "
        "| answers the quota had left unused when the last wait ended |",
        "|---|---|---|---|---|---|",
    ]
    for label, result, within in variants:
        floor = added(functools.partial(burst.floor, within=within), environments)
        supply = sum(burst.supply(environments, seed, within) for seed in SEEDS)
        lines.append(
            f"| {label} | {result['failed']} | {floor['failed']} | {result['answered']:,} "
            f"| {result['lost_answers']} | {supply - result['answered']:.0f} |"
        )
    return "\n".join(lines)


def library_waits() -> tuple[float, float]:
    """The library's default waits for a throttled value: prefetch's at init, then first use's."""
    from lambda_cache_di.core.pacing import DEFAULT_THROTTLE_WAIT_SECONDS
    from lambda_cache_di.prefetch import DEFAULT_PREFETCH_THROTTLE_WAIT_SECONDS

    return DEFAULT_PREFETCH_THROTTLE_WAIT_SECONDS, DEFAULT_THROTTLE_WAIT_SECONDS


def library_budget() -> float:
    """How long the library's defaults let a cold start wait for a throttled value, in all."""
    return sum(library_waits())


def _cells(result: dict[str, Any]) -> list[str]:
    served, throttled = result["served"], result["throttled"]
    failed = result["failed"]
    return [
        f"**{failed}**" if failed else "0",
        f"{result['slowest']:.1f}",
        f"{served:,} / {throttled:,} ({throttled / served:.2f})",
        f"{result['drain']:.1f}",
    ]


def secrets_rows(runs: dict[str, dict[str, Any] | None]) -> str:
    lines = [
        "| library | requests by operation | peak req/s: GetSecretValue (quota "
        f"{GET_SECRET_VALUE_TPS:,}) / BatchGetSecretValue (quota {BATCH_GET_SECRET_VALUE_TPS}) "
        "| throttled | failed first invocations |",
        "|---|---|---|---|---|",
    ]
    for label, run in runs.items():
        if run is None:
            continue
        result = run["secrets"]
        by_operation = ", ".join(
            f"{op} {n:,}" for op, n in sorted(result["served_by_operation"].items())
        )
        peaks = result["peaks"]
        lines.append(
            f"| {label} | {by_operation} | {peaks.get('GetSecretValue', 0)} / "
            f"{peaks.get('BatchGetSecretValue', 0)} | {result['throttled']:,} "
            f"| {result['failed']} |"
        )
    return "\n".join(lines)


def refresh_rows() -> str:
    lines = [
        "| spread of ages | peak req/s, first minute | after it | mean "
        "| after-minute peak / mean |",
        "|---|---|---|---|---|",
    ]
    for label, jitter in processes.JITTERS.items():
        result = processes.simulate_fleet(True, jitter=jitter)
        lines.append(
            f"| {label} | {result['peak']:.0f} | {result['steady_peak']:.0f} "
            f"| {result['mean']:.1f} | **{result['steady_peak'] / result['mean']:.1f}x** |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 200 environments only")
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--json", action="store_true", help="this tree's runs only, as JSON")
    parser.add_argument("--before", default=BEFORE, help="the revision to compare with")
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes) if args.sizes is not None else SIZES[:2] if args.quick else SIZES
    if args.json:
        print(json.dumps(library_runs(sizes)))
        return 0
    after = library_runs(sizes)
    before = at_revision(args.before, sizes)
    older = at_revision(BEFORE_SECRETS, ()) if args.before == BEFORE else None
    print(
        f"SSM quota {SSM_TPS} TPS; {len(SEEDS)} bursts of each size, each within "
        f"{burst.BURST_SECONDS:.0f} s, their counts added; timeout {burst.TIMEOUT_SECONDS:.0f} s\n"
    )
    print(burst_rows(sizes, before, after))
    largest = max(sizes)
    print(f"\nWhere the quota's answers went, {largest:,} environments (x 3 bursts):\n")
    print(where_the_quota_went(after["fleet"][str(largest)], largest))
    print("\n64 processes x 10 environments starting within 1 s, one `Secret` each, prefetch:\n")
    print(
        secrets_rows(
            {
                f"before ({BEFORE_SECRETS[:7]}, BatchGetSecretValue)": older,
                f"before ({args.before[:7]})": before,
                "this tree": after,
            }
        )
    )
    print("\nThe shared fleet after the burst (1,000 environments x 16 processes, one value):\n")
    print(refresh_rows())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
