"""(c) and (e): cold starts in fresh processes, 50 ms added to every request.

Each run is a new `python -m benchmarks.cold_child VARIANT` process against the
shared moto server; the server counts its requests. Variants take turns, and
the median of the runs is reported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from lambda_cache_di.testing import MotoServer

from .common import Latency

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "ours_prefetch": "lambda-cache-di, `prefetch` at module scope",
    "ours_lazy": "lambda-cache-di, no prefetch (first call fetches)",
    "lambda_cache_each": "lambda-cache 0.8.1, one decorator per value",
    "lambda_cache_lists": "lambda-cache 0.8.1, two lists + 4 decorators",
    "powertools": "Powertools parameters",
    "ssm_cache": "ssm-cache (no secrets)",
    "secretsmanager_caching": "aws-secretsmanager-caching (3 secrets only)",
}


def _child(variant: str, *extra: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.cold_child", variant, *extra],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def run(server: MotoServer, latency: Latency, runs: int = 5, delay: float = 0.05) -> dict[str, Any]:
    """Median phases and the request count of each variant's cold start."""
    samples: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
    requests: dict[str, Counter[str]] = {}
    latency.delay = delay
    try:
        for variant in VARIANTS:  # one unmeasured start each: warms the OS file cache
            _child(variant)
        for _ in range(runs):
            for variant in VARIANTS:
                server.reset_counts()
                samples[variant].append(_child(variant))
                requests[variant] = server.requests
    finally:
        latency.delay = 0.0
    full_venv = [_child("ours_prefetch", "--full-venv")["import_ms"] for _ in range(runs)]
    medians = {
        variant: {key: statistics.median(s[key] for s in runs_) for key in runs_[0]}
        for variant, runs_ in samples.items()
    }
    return {
        "medians": medians,
        "requests": requests,
        "runs": runs,
        "delay": delay,
        "import_full_venv_ms": statistics.median(full_venv),
    }
