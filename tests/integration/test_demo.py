"""`lambda-cache-di demo`, run as a subprocess the way the README's quick start runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_demo(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambda_cache_di", "demo", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_counts_requests_with_and_without_cache():
    """24 invocations 25 s apart: 3 + 9 + 8 cached requests against 96 without a cache.

    The default spread of first ages (seeded by the demo) adds one early refresh
    to the parameter and to the secret.
    """
    result = run_demo("--invocations", "24", "--interval", "25")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| table_name | /prod/orders/table | 300 s | 21 | 3 | 0 |" in lines
    assert "| db_conn | /prod/db/conn_string | 60 s | 15 | 9 | 0 |" in lines
    assert "| model | s3://models/churn/model.json | 60 s | 16 | 8 | 0 |" in lines
    assert "| AmazonSSM.GetParameter | 3 | 24 |" in lines
    assert "| secretsmanager.GetSecretValue | 9 | 24 |" in lines
    assert "| **total** | **20** | **96** |" in lines
    assert "Same answers from both handlers: True. Requests saved: 76 of 96." in lines
    assert "demo-password" not in result.stdout + result.stderr


def test_demo_reports_a_missing_handler_module():
    """A handler that cannot be imported ends the demo with a message, not a traceback."""
    result = run_demo("--handler", "examples.nope.handler", "--invocations", "1")
    assert result.returncode != 0
    assert "cannot import 'examples.nope'" in result.stderr


def without_timings(lines: list[str]) -> list[str]:
    """Lines with every `N ms` timing written `_ ms`: timings vary from run to run."""
    return [re.sub(r"\b\d+ ms\b", "_ ms", line) for line in lines]


@pytest.fixture(scope="module")
def default_run() -> list[str]:
    """The lines the default demo prints, timings blanked."""
    result = run_demo()
    assert result.returncode == 0, result.stderr
    return without_timings(result.stdout.splitlines())


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_the_pages_show_exactly_what_the_default_demo_prints(default_run, page):
    """The quick start's output block is the default demo's output, every line, timings aside."""
    quick_start = (ROOT / page).read_text().split("## Quick start", 1)[1]
    shown = quick_start.split("```text\n", 1)[1].split("```", 1)[0]
    assert without_timings(shown.splitlines()) == default_run


USER_HANDLER = """
from dependency_injector import containers
from dependency_injector.wiring import Provide, inject

from lambda_cache_di import SSMParameter


class Container(containers.DeclarativeContainer):
    table = SSMParameter("/prod/orders/table", max_age_in_seconds=60)


@inject
def handler(event, context, table: str = Provide[Container.table]):
    return {"table": table}


container = Container()
container.wire(modules=[__name__])
"""


def test_colon_form_runs_a_users_module_from_its_task_root(tmp_path):
    """`--handler mine:handler --task-root DIR` imports the user's module from DIR, not the cwd."""
    task_root = tmp_path / "task"
    task_root.mkdir()
    (task_root / "mine.py").write_text(USER_HANDLER)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_cache_di",
            "demo",
            "--handler",
            "mine:handler",
            "--uncached-handler",
            "",
            "--task-root",
            str(task_root),
            "--invocations",
            "24",
            "--interval",
            "25",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("mine:handler: 24 invocations, one every 25 s")
    # 8 refreshes in 10 min at 60 s, and one early one: the default spread of the first age.
    assert "| table | /prod/orders/table | 60 s | 15 | 9 | 0 |" in lines
    assert "| AmazonSSM.GetParameter | 9 |" in lines


def test_a_missing_function_is_named():
    """A module without the named function ends the demo with a message naming both."""
    result = run_demo("--handler", "lambda_cache_di.tools.demo_app.orders:nope")
    assert result.returncode != 0
    assert "has no function 'nope'" in result.stderr


GREETER = """
from dependency_injector import containers
from dependency_injector.wiring import Provide, inject

from lambda_cache_di import SSMParameter


class Container(containers.DeclarativeContainer):
    table = SSMParameter("/prod/orders/table")


@inject
def handler(event, context, table: str = Provide[Container.table]):
    return {"message": f"Hello, {event['name']}!", "table": table}


container = Container()
container.wire(modules=[__name__])
"""


def run_greeter(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The demo on a user's handler that reads `event["name"]`, from an empty folder."""
    (tmp_path / "greeter.py").write_text(GREETER)
    command = [sys.executable, "-m", "lambda_cache_di", "demo", "--handler", "greeter:handler"]
    return subprocess.run(
        [*command, "--invocations", "3", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_event_as_json_text_reaches_a_users_handler(tmp_path):
    """`--event JSON` is the event of every invocation; no uncached twin runs by default."""
    result = run_greeter(tmp_path, "--event", '{"name": "Ada"}')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| table | /prod/orders/table | 60 s | 2 | 1 | 0 |" in lines
    assert "| AWS requests | with lambda-cache-di (`greeter:handler`) |" in lines
    assert "Same answers" not in result.stdout


def test_event_from_a_file(tmp_path):
    """`--event FILE` reads the event from a JSON file."""
    (tmp_path / "event.json").write_text('{"name": "Grace"}')
    result = run_greeter(tmp_path, "--event", "event.json")
    assert result.returncode == 0, result.stderr
    assert "| AmazonSSM.GetParameter | 1 |" in result.stdout.splitlines()


def test_a_handler_that_raises_names_the_event_option(tmp_path):
    """Without the event it expects, a handler's KeyError ends the demo in one line, no trace."""
    result = run_greeter(tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "demo: greeter:handler raised KeyError at invocation 1 "
        f"({tmp_path / 'greeter.py'}, line 14); pass the event it expects with --event FILE|JSON\n"
    )
