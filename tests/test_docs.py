"""The README and the site tell the truth: their Python stands in real files, the site builds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.rglob("*.md"))
# Written on the line before a ```python fence whose code is an illustration, not a quote.
NOT_AN_EXAMPLE = "<!-- not-an-example -->"
PYTHON_LANGUAGES = {"python", "python3", "py", "py3", "pycon"}
FENCE = re.compile(r"^([ \t]*)```([\w-]*)[^\n]*\n(.*?)^\1```", flags=re.DOTALL | re.MULTILINE)


def stripped_lines(text: str) -> str:
    """Lines without their indentation, so a snippet may be cut out of a nested block."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


SOURCES = [
    stripped_lines(path.read_text())
    for folder in ("examples", "containers", "tests", "lambda_cache_di/tools/demo_app")
    for path in (ROOT / folder).rglob("*.py")
]


def without_file_comments(block: str) -> str:
    lines = block.splitlines()
    return "\n".join(line for line in lines if not re.match(r"# \S+\.py\b", line)).strip()


def python_blocks(path: Path) -> list[tuple[str, str]]:
    """(where, code) of each Python block of a Markdown file not marked as not-an-example."""
    text = path.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(2).lower() not in PYTHON_LANGUAGES:
            continue
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() == NOT_AN_EXAMPLE:
            continue
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((f"{path.relative_to(ROOT)}:{line}", match.group(3)))
    return blocks


BLOCKS = [block for path in [README, *PAGES] for block in python_blocks(path)]


@pytest.mark.parametrize(("where", "block"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_snippet_comes_from_a_file(where, block):
    """Every Python block of the README and the site stands verbatim in an example or a test."""
    snippet = stripped_lines(without_file_comments(block))
    assert any(snippet in source for source in SOURCES), f"{where} quotes no file:\n{snippet}"


def test_the_blocks_are_found():
    """The scan sees the site's examples: the SSM page alone quotes several files."""
    ssm = python_blocks(DOCS / "ssm.md")
    assert len(ssm) >= 5
    assert ssm[0][1].startswith("class SingleParameter(containers.DeclarativeContainer):")


def test_not_an_example_marker_is_rare():
    """Blocks excused from quoting a file stay exceptions: at most three on the whole site."""
    marked = sum((path.read_text().count(NOT_AN_EXAMPLE) for path in [README, *PAGES]), 0)
    assert marked <= 3


def test_quick_start_is_what_ci_runs():
    """The README's quick start is exactly two commands, and .ci/run runs both verbatim."""
    section = README.read_text().split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert [command in ci for command in commands] == [True, True]


def test_readme_is_a_landing_page():
    """The README fits on a few screens; the guide lives on the site."""
    assert len(README.read_text().splitlines()) <= 200


def test_readme_links_resolve():
    """Every relative link of the README names a file of the repository, so it works on GitHub."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text())
    relative = [target for target in targets if "://" not in target]
    assert relative, "the README links into the site"
    assert [target for target in relative if not (ROOT / target).exists()] == []


def nav_pages(entries: list[object]) -> list[str]:
    """The Markdown files a MkDocs nav names, sections flattened."""
    pages: list[str] = []
    for entry in entries:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                pages += nav_pages(value)
            elif isinstance(value, str) and "://" not in value:
                pages.append(value)
    return pages


def test_nav_lists_every_page_and_only_pages_that_exist():
    """mkdocs.yml's nav names every page under docs/ exactly once, and no page that is missing."""
    nav = nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    on_disk = sorted(path.relative_to(DOCS).as_posix() for path in PAGES)
    assert sorted(nav) == on_disk


def test_site_builds_strictly(tmp_path):
    """`mkdocs build --strict` passes: no broken link or anchor, no page left out, API built."""
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    api = (site / "api" / "providers" / "index.html").read_text()
    assert 'id="lambda_cache_di.providers.ssm.SSMParameter"' in api
