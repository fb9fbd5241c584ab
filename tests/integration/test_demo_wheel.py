"""The demo from a wheel: built, installed with its `demo` extra in a fresh venv, run anywhere.

Slow (a wheel build and an install, from pip's cache when it can); one venv
serves every test of the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIP_QUIET = ["-q", "--disable-pip-version-check"]
# Hides moto from a child, as in a venv installed without the `demo` extra.
HIDE_MOTO = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "moto":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hide())
from lambda_cache_di.tools.cli import main
sys.exit(main(["demo"]))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *PIP_QUIET, "--no-deps", "-w", str(folder), ROOT],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return next(folder.glob("lambda_cache_di-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin folder of a fresh venv holding the wheel and its `demo` extra."""
    folder = tmp_path_factory.mktemp("venv")
    venv.create(folder, with_pip=True)
    bin_folder = folder / "bin"
    subprocess.run(
        [str(bin_folder / "python"), "-m", "pip", "install", *PIP_QUIET, f"{wheel}[demo]"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    yield bin_folder


def clean_environment() -> dict[str, str]:
    """The environment without this checkout on any path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def test_wheel_ships_the_demo_world_and_declares_the_extra(wheel: Path):
    """The wheel holds the demo's container, handlers and seed, and moto only under `demo`."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(metadata_name).decode()
    for module in ("app", "orders", "orders_uncached", "world"):
        assert f"lambda_cache_di/tools/demo_app/{module}.py" in names
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: moto")]
    assert requires == ['Requires-Dist: moto[server]>=5.0.10; extra == "demo"']
    assert "Provides-Extra: demo" in metadata.splitlines()


def test_demo_runs_from_an_empty_folder(installed: Path, tmp_path: Path):
    """`lambda-cache-di demo` in an empty folder prints the request table and exits 0."""
    result = subprocess.run(
        [str(installed / "lambda-cache-di"), "demo", "--invocations", "24", "--interval", "25"],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| table_name | /prod/orders/table | 300 s | 21 | 3 | 0 |" in lines
    assert "| AmazonSSM.GetParameter | 3 | 24 |" in lines
    assert "| **total** | **20** | **96** |" in lines
    assert "Same answers from both handlers: True. Requests saved: 76 of 96." in lines
    assert list(tmp_path.iterdir()) == []


def test_without_moto_the_demo_says_which_extra_to_install(installed: Path, tmp_path: Path):
    """Without moto the demo exits 2 and names the extra to install, with no traceback."""
    result = subprocess.run(
        [str(installed / "python"), "-c", HIDE_MOTO],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "demo: the demo runs an embedded moto server, and moto is not installed; "
        "install it with: pip install 'lambda-cache-di[demo]'\n"
    )
