"""The lean virtual environment the cold starts run in: what a Lambda bundle would hold.

Built by the benchmark on first use and kept under `build/benchmarks/` (the
benchmarks' work folder, ignored by git): the runtime dependencies of this
package (boto3, dependency-injector), the package itself installed from a
wheel built from this checkout, and the peer libraries of the comparison.
No moto, werkzeug, pydantic or pydantic-settings, which the dev environment
holds and which dependency-injector would import if present. The wheel is
rebuilt whenever the package's sources change.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "benchmarks"
VENV = WORK / "lean-venv"
# Only `benchmarks` goes on the children's path, so `lambda_cache_di` comes from the wheel.
PATH_DIR = WORK / "path"
PEERS = [
    "lambda-cache==0.8.1",
    "aws-lambda-powertools>=2.40",
    "aws-secretsmanager-caching>=1.1.3",
    "ssm-cache>=2.10",
]


def python() -> Path:
    return VENV / "bin" / "python"


def _pip(*arguments: str) -> None:
    subprocess.run(
        [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *arguments],
        check=True,
        timeout=900,
        capture_output=True,
    )


def _sources_digest() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    for path in sorted((ROOT / "lambda_cache_di").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def _install_package() -> None:
    wheels = WORK / "wheels"
    for old in wheels.glob("*.whl"):
        old.unlink()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    _pip("--no-deps", "--force-reinstall", str(next(wheels.glob("*.whl"))))


def ensure() -> str:
    """Build or update the lean venv; a sentence saying what was done, for the output."""
    done = "reused"
    if not python().exists():
        WORK.mkdir(parents=True, exist_ok=True)
        venv.create(VENV, with_pip=True, clear=True)
        requires = importlib.metadata.requires("lambda-cache-di") or []
        runtime = [r.partition(";")[0].strip() for r in requires if "extra ==" not in r]
        _pip(*runtime, *PEERS)
        done = "built"
    stamp = VENV / "lambda-cache-di.sha256"
    digest = _sources_digest()
    if not stamp.exists() or stamp.read_text() != digest:
        _install_package()
        stamp.write_text(digest)
        done = done if done == "built" else "reused, package wheel rebuilt"
    PATH_DIR.mkdir(parents=True, exist_ok=True)
    link = PATH_DIR / "benchmarks"
    if not link.is_symlink():
        link.symlink_to(ROOT / "benchmarks", target_is_directory=True)
    return f"lean venv {done} at {VENV.relative_to(ROOT)} (runtime dependencies, the wheel, peers)"


def environment(base: dict[str, str]) -> dict[str, str]:
    """Environment of a child in the lean venv: only `benchmarks` added to its path."""
    env = dict(base)
    env["PYTHONPATH"] = str(PATH_DIR)
    env["PYTHONSAFEPATH"] = "1"  # -m does not put the working folder first on sys.path
    env.pop("VIRTUAL_ENV", None)
    return env


def installed() -> list[str]:
    """`pip freeze` of the lean venv, to show what it holds."""
    completed = subprocess.run(
        [str(python()), "-m", "pip", "freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.splitlines()
