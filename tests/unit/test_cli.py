"""The command line's parser: a version, a description and shown defaults on every command."""

from __future__ import annotations

import argparse
import re
from importlib.metadata import version

import pytest

from lambda_cache_di.tools.cli import build_parser, main
from lambda_cache_di.tools.demo import read_event

COMMANDS = ("demo", "iam-policy", "check")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Help text wrapped at 200 columns, so no phrase is cut at a hyphen."""
    monkeypatch.setenv("COLUMNS", "200")


def help_of(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """What `lambda-cache-di ARGUMENTS --help` prints; argparse exits 0 after it."""
    with pytest.raises(SystemExit) as exit_:
        main([*arguments, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_version_prints_the_installed_version(capsys):
    """`lambda-cache-di --version` prints the distribution's version and exits 0."""
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert (exit_.value.code, capsys.readouterr().out) == (
        0,
        f"lambda-cache-di {version('lambda-cache-di')}\n",
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description(capsys, command):
    """Each subcommand's help opens with a sentence of its own, after the usage line."""
    text = help_of(capsys, command)
    usage, description = text.split("\n\n")[:2]
    assert usage.startswith(f"usage: lambda-cache-di {command}")
    assert len(description.split()) >= 12


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_and_its_default(command):
    """Every option of every subcommand has help text, and the help shows its default."""
    parser = build_parser()
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    subparser = subparsers.choices[command]
    options = [
        action for action in subparser._actions if action.option_strings and action.dest != "help"
    ]
    assert options
    assert [action.dest for action in options if not action.help] == []
    text = subparser.format_help().split("\noptions:\n", 1)[1]
    for action in options:
        entry = text.split(action.option_strings[0], 1)[1].split("\n  -", 1)[0]
        assert "(default:" in re.sub(r"\s+", " ", entry), action.dest


def test_demo_help_names_the_event_and_the_extra(capsys):
    """`demo --help` offers --event FILE|JSON and says which extra the demo needs."""
    text = re.sub(r"\s+", " ", help_of(capsys, "demo"))
    assert "--event FILE|JSON" in text
    assert "pip install 'lambda-cache-di[demo]'" in text


class TestReadEvent:
    """`--event` takes a JSON file or JSON text."""

    def test_json_text(self):
        """Text that is not a file is parsed as JSON."""
        assert read_event('{"name": "Ada"}') == {"name": "Ada"}

    def test_json_file(self, tmp_path):
        """A path to a file is read and parsed."""
        path = tmp_path / "event.json"
        path.write_text('{"name": "Grace"}')
        assert read_event(str(path)) == {"name": "Grace"}

    def test_neither_exits_with_a_reason(self):
        """Neither a file nor JSON ends the demo with a one-line reason."""
        with pytest.raises(SystemExit) as exit_:
            read_event("event.jsn")
        assert str(exit_.value) == (
            "demo: --event is not JSON (Expecting value, line 1) and names no file; "
            "pass a JSON file or JSON text"
        )
