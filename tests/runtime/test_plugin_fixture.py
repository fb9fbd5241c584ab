"""The lambda_runtime fixture, exercised by a pytest run in a subprocess on a user's project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT

USER_PROJECT = Path(__file__).resolve().parent / "user_project"


def test_lambda_runtime_fixture_in_a_users_test_suite(tmp_path):
    """A user's handler runs under awslambdaric from their tests: a response, a handler error
    and an init error, each as the fixture promises."""
    for name in ("greeter.py", "test_greeter.py"):
        shutil.copy(USER_PROJECT / name, tmp_path / name)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "TMPDIR": str(tmp_path),
        **FAKE_AWS_ENVIRONMENT,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_greeter.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("2 passed in ")
