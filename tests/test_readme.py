"""The README tells the truth: its Python snippets stand in real files, its quick start is CI's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def stripped_lines(text: str) -> str:
    """Lines without their indentation, so a snippet may be cut out of a nested block."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


SOURCES = [
    stripped_lines(path.read_text())
    for folder in ("examples", "containers", "tests")
    for path in (ROOT / folder).rglob("*.py")
]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def without_file_comments(block: str) -> str:
    lines = block.splitlines()
    return "\n".join(line for line in lines if not re.match(r"# \S+\.py\b", line)).strip()


@pytest.mark.parametrize("block", python_blocks(), ids=lambda block: block.splitlines()[0][:40])
def test_snippet_comes_from_a_file(block):
    """Every python block of the README appears verbatim in an example, container or test."""
    snippet = stripped_lines(without_file_comments(block))
    assert any(snippet in source for source in SOURCES), snippet


def test_quick_start_is_what_ci_runs():
    """Both quick-start commands appear verbatim in .ci/run."""
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(command in ci for command in commands)


def test_readme_is_assembled_from_its_sections():
    """README.md equals docs/readme/*.md joined in order (run docs/build_readme.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_readme", ROOT / "docs/build_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == README
