"""Runs the command line as a subprocess, as a user would, with fake AWS credentials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT

REPOSITORY = Path(__file__).resolve().parents[1]


def run_cli(
    *arguments: str, env: dict[str, str] | None = None, cwd: Path = REPOSITORY
) -> subprocess.CompletedProcess[str]:
    """`python -m lambda_cache_di ARGUMENTS` from `cwd`, with this repository importable."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPOSITORY),
        **FAKE_AWS_ENVIRONMENT,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "lambda_cache_di", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
