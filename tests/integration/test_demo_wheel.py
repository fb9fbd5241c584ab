"""The demo from a wheel: built, installed with its `demo` extra in a fresh venv, run anywhere.

Slow (a wheel build and an install, from pip's cache when it can); one venv
serves every test of the module.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config

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
        # A PYTHONPATH holding a checkout would make pip find the package already installed.
        env=clean_environment(),
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
    for module in ("orders_container", "orders", "orders_uncached", "world"):
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


# A newcomer's path: the files that Getting started tells them to write, in an empty folder,
# with only the wheel (and pytest) installed. Nothing of this checkout is importable there.
GETTING_STARTED = ROOT / "docs" / "getting-started.md"
FILE_BLOCK = re.compile(r"```(?:python|yaml)\n# (\S+\.(?:py|yaml))\n(.*?)```", flags=re.DOTALL)


def walkthrough_files() -> dict[str, str]:
    """Path to text of every file the "Your own function" section shows, as it shows it."""
    section = GETTING_STARTED.read_text().split("## Your own function", 1)[1]
    section = section.split("\n## ", 1)[0]
    return {path: f"# {path}\n{body}" for path, body in FILE_BLOCK.findall(section)}


@pytest.fixture(scope="module")
def newcomer(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty folder holding the walkthrough's files, and pytest in the wheel's venv."""
    subprocess.run(
        [str(installed / "python"), "-m", "pip", "install", *PIP_QUIET, "pytest>=8"],
        check=True,
        capture_output=True,
        timeout=600,
        env=clean_environment(),
    )
    folder = tmp_path_factory.mktemp("my-function")
    for path, text in walkthrough_files().items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    (folder / "app" / "__init__.py").write_text("")  # "with an empty app/__init__.py"
    return folder


def run_in(folder: Path, *command: str, env: dict[str, str] | None = None) -> Any:
    """A command of the venv run in `folder`, with a clean environment."""
    return subprocess.run(
        list(command),
        cwd=folder,
        env={**clean_environment(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_walkthrough_shows_every_file_it_names():
    """Getting started shows the handler, the package, three tests and the template."""
    assert sorted(walkthrough_files()) == [
        "app/containers.py",
        "app/handler.py",
        "handler.py",
        "template.yaml",
        "test_app.py",
        "test_handler.py",
        "test_handler_moto.py",
    ]


def test_the_walkthroughs_tests_pass_from_the_wheel(installed: Path, newcomer: Path):
    """The walkthrough's tests (fakes, and moto through the plugin) pass in the empty folder."""
    result = run_in(
        newcomer, str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("3 passed in ")


def test_the_templates_policy_is_what_iam_policy_prints(installed: Path, newcomer: Path):
    """The statements in the walkthrough's template.yaml are iam-policy's for handler:Container."""
    result = run_in(
        newcomer,
        str(installed / "lambda-cache-di"),
        *("iam-policy", "handler:Container", "--region", "eu-west-1"),
        *("--account", "111122223333"),
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)["Statement"]
    template = yaml.safe_load((newcomer / "template.yaml").read_text())
    function = template["Resources"]["GreeterFunction"]["Properties"]
    assert function["Handler"] == "handler.handler"
    assert function["Policies"][0]["Statement"] == printed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def venv_moto_server(installed: Path) -> Iterator[str]:
    """The venv's own `moto_server` command on 127.0.0.1, as the CLI page starts it."""
    port = free_port()
    server = subprocess.Popen(
        [str(installed / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_environment(),
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no moto_server"
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)


def test_check_against_moto_prints_what_the_cli_page_shows(
    installed: Path, newcomer: Path, venv_moto_server: str
):
    """`check handler:Container` against the venv's moto_server prints the CLI page's table."""
    environment = {
        "AWS_ENDPOINT_URL": venv_moto_server,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    boto3.client(
        "ssm",
        endpoint_url=venv_moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(read_timeout=60),
    ).put_parameter(Name="/greeter/greeting", Value="Hello", Type="String")
    result = run_in(
        newcomer, str(installed / "lambda-cache-di"), "check", "handler:Container", env=environment
    )
    page = (ROOT / "docs" / "cli.md").read_text().split("### `check` against moto", 1)[1]
    shown = page.split("```text\n", 1)[1].split("```", 1)[0]
    assert (result.returncode, result.stdout) == (1, shown)
