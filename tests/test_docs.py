"""The README and the site tell the truth: their Python runs as shown and stands in real files."""

from __future__ import annotations

import ast
import builtins
import re
import subprocess
import symtable
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.rglob("*.md"))
# Written on the line before a ```python fence whose code is an illustration, not a quote.
NOT_AN_EXAMPLE = "<!-- not-an-example -->"
PYTHON_LANGUAGES = {"python", "python3", "py", "py3", "pycon"}
PROMPTS = {">>> ", "... "}
FENCE = re.compile(r"^([ \t]*)```([\w-]*)[^\n]*\n(.*?)^\1```", flags=re.DOTALL | re.MULTILINE)


def stripped_lines(text: str) -> str:
    """Lines without their indentation, so a snippet may be cut out of a nested block."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


SOURCE_PATHS = [
    path
    for folder in ("examples", "containers", "tests", "lambda_cache_di/tools/demo_app")
    for path in sorted((ROOT / folder).rglob("*.py"))
]
SOURCES = {path: stripped_lines(path.read_text()) for path in SOURCE_PATHS}
# A closed port: a request made while the imports run is refused at once.
OFFLINE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true"}
# What a module has without defining it: builtins and its own dunders.
PREDEFINED = set(dir(builtins)) | {"__name__", "__file__", "__doc__", "__spec__", "__package__"}


def without_file_comments(block: str) -> str:
    lines = block.splitlines()
    return "\n".join(line for line in lines if not re.match(r"# \S+\.py\b", line)).strip()


def python_blocks(path: Path, with_illustrations: bool = False) -> list[tuple[str, str]]:
    """(where, code) of each Python block of a Markdown file, the not-an-example ones if asked."""
    text = path.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(2).lower() not in PYTHON_LANGUAGES:
            continue
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() == NOT_AN_EXAMPLE and not with_illustrations:
            continue
        line = text.count("\n", 0, match.start()) + 1
        code = match.group(3)
        if match.group(2).lower() == "pycon":  # the statements typed, without prompts or output
            code = "".join(row[4:] + "\n" for row in code.splitlines() if row[:4] in PROMPTS)
        blocks.append((f"{path.relative_to(ROOT)}:{line}", code))
    return blocks


QUOTED = [(where, block) for path in [README, *PAGES] for where, block in python_blocks(path)]
ALL_BLOCKS = [
    block for path in [README, *PAGES] for block in python_blocks(path, with_illustrations=True)
]


def parse(where: str, block: str) -> ast.Module:
    """The block as a module of its own: it must parse once dedented, as a reader pastes it."""
    try:
        return ast.parse(textwrap.dedent(block), filename=where)
    except SyntaxError as exc:
        pytest.fail(f"{where} is not a whole piece of Python ({exc.msg}, line {exc.lineno})")


def leading_imports(tree: ast.Module) -> list[ast.stmt]:
    """The import statements the block begins with."""
    imports = []
    for statement in tree.body:
        if not isinstance(statement, ast.Import | ast.ImportFrom):
            break
        imports.append(statement)
    return imports


def unbound_names(where: str, code: str) -> list[str]:
    """Names the block reads as globals but neither imports nor defines (builtins aside)."""
    top = symtable.symtable(code, where, "exec")
    bound = {
        symbol.get_name()
        for symbol in top.get_symbols()
        if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()
    }
    unbound: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        unbound.update(
            symbol.get_name()
            for symbol in table.get_symbols()
            if symbol.is_referenced() and symbol.is_global()
        )
    return sorted(unbound - bound - PREDEFINED)


def import_bindings(statements: list[ast.stmt]) -> set[tuple[str, str]]:
    """(name bound, what it is bound to) for each import among the statements, at any depth."""
    bindings = set()
    for node in (sub for statement in statements for sub in ast.walk(statement)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".", 1)[0]
                bindings.add((bound, alias.name if alias.asname else bound))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            bindings.update((a.asname or a.name, f"{module}:{a.name}") for a in node.names)
    return bindings


WALKTHROUGH = ROOT / "examples" / "walkthrough"


def user_project(tree: ast.Module, block: str, imports: int) -> tuple[Path | None, str]:
    """For a snippet of the walkthrough (a user's own files): its project folder and package.

    Those files import each other as a user's project does (`import handler`,
    `from .containers import ...`), so their imports run from that folder.
    """
    if len(tree.body) <= imports:
        return None, ""
    below = textwrap.dedent(block).splitlines()[tree.body[imports].lineno - 1 :]
    code = stripped_lines(without_file_comments("\n".join(below)))
    for path, source in SOURCES.items():
        if code in source and path.is_relative_to(WALKTHROUGH):
            folder = WALKTHROUGH / path.relative_to(WALKTHROUGH).parts[0]
            return folder, ".".join(path.relative_to(folder).parent.parts)
    return None, ""


@pytest.mark.parametrize(("where", "block"), ALL_BLOCKS, ids=[where for where, _ in ALL_BLOCKS])
def test_snippet_runs_with_the_imports_shown(where, block):
    """Each Python block begins with its imports, they run, and every name it uses is defined."""
    tree = parse(where, block)
    imports = leading_imports(tree)
    later = [
        ast.unparse(node)
        for node in tree.body[len(imports) :]
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert later == [], f"{where} imports below its first line of code: {later}"
    folder, package = user_project(tree, block, len(imports))
    namespace: dict[str, object] = {"__name__": f"{package}.docs_snippet", "__package__": package}
    loaded = set(sys.modules)
    try:
        with pytest.MonkeyPatch.context() as patch:
            # A handler module imported here may prefetch: it must reach no AWS, nor wait.
            for variable, value in {**FAKE_AWS_ENVIRONMENT, **OFFLINE}.items():
                patch.setenv(variable, value)
            if folder is not None:
                patch.syspath_prepend(str(folder))
            exec(compile(ast.Module(body=imports, type_ignores=[]), where, "exec"), namespace)
    except ImportError as exc:
        pytest.fail(f"{where}: its import fails: {exc}")
    finally:
        if folder is not None:
            # The walkthrough's `handler` and `app` must not shadow another page's modules.
            for name in set(sys.modules) - loaded:
                del sys.modules[name]
    missing = unbound_names(where, textwrap.dedent(block))
    assert missing == [], f"{where} uses {', '.join(missing)} without importing or defining it"


@pytest.mark.parametrize(("where", "block"), QUOTED, ids=[where for where, _ in QUOTED])
def test_snippet_comes_from_a_file(where, block):
    """The code of each block stands verbatim in an example or a test, which has its imports."""
    tree = parse(where, block)
    imports = leading_imports(tree)
    # The code below the imports, cut where the parsed block (file comments included) says.
    first_code = tree.body[len(imports)].lineno if len(tree.body) > len(imports) else None
    below = textwrap.dedent(block).splitlines()[first_code - 1 :] if first_code else []
    code = stripped_lines(without_file_comments("\n".join(below)))
    quoting = [path for path, source in SOURCES.items() if code in source]
    assert quoting, f"{where} quotes no file:\n{code}"
    whole = stripped_lines(without_file_comments(textwrap.dedent(block)))
    if any(whole in SOURCES[path] for path in quoting):
        return  # the imports too stand in the file, just above the code (or in a quoted string)
    shown = import_bindings(imports)
    for path in quoting:
        if shown <= import_bindings(ast.parse(path.read_text()).body):
            return
    files = ", ".join(str(path.relative_to(ROOT)) for path in quoting)
    pytest.fail(f"{where}: its imports are not those of the file it quotes ({files})")


def test_the_blocks_are_found():
    """The scan sees the site's examples: the SSM page alone quotes several files."""
    ssm = python_blocks(DOCS / "ssm.md")
    assert len(ssm) >= 5
    assert ssm[0][1].startswith("# containers/ssm.py\nfrom dependency_injector import containers")


CONTAINER = """\
from dependency_injector import containers

from lambda_cache_di import SSMParameter


class LongerMaxAge(containers.DeclarativeContainer):
    \"\"\"One parameter kept for five minutes.\"\"\"

    app_var = SSMParameter("/production/app/var", max_age_in_seconds=300)
"""


def test_a_snippet_that_lacks_an_import_is_named_with_the_name():
    """A block that uses a name it does not import fails, naming the page, line and name."""
    lacking = CONTAINER.replace("from lambda_cache_di import SSMParameter\n", "")
    with pytest.raises(AssertionError, match=r"^docs/x\.md:3 uses SSMParameter without importing"):
        test_snippet_runs_with_the_imports_shown("docs/x.md:3", lacking)
    test_snippet_runs_with_the_imports_shown("docs/x.md:3", CONTAINER)


def test_an_import_that_fails_is_reported():
    """An import of a name the module does not have fails the block, not the whole run."""
    wrong = CONTAINER.replace("import SSMParameter", "import SSMParameter, NoSuchThing")
    with pytest.raises(pytest.fail.Exception, match=r"docs/x\.md:3: its import fails: cannot"):
        test_snippet_runs_with_the_imports_shown("docs/x.md:3", wrong)


def test_imports_must_come_first_and_fragments_fail():
    """Imports below the code, and an indented fragment cut out of a function, both fail."""
    late = "x = 1\nimport json\n\nprint(json.dumps(x))\n"
    with pytest.raises(AssertionError, match=r"imports below its first line of code"):
        test_snippet_runs_with_the_imports_shown("docs/x.md:3", late)
    with pytest.raises(pytest.fail.Exception, match=r"docs/x\.md:3 is not a whole piece"):
        test_snippet_runs_with_the_imports_shown("docs/x.md:3", "    return x\nfoo()\n")


def test_a_quote_must_show_the_imports_of_its_file():
    """Code found in a file, under an import that file does not make, is refused."""
    test_snippet_comes_from_a_file("docs/x.md:3", CONTAINER)
    foreign = "import os\n" + CONTAINER
    with pytest.raises(pytest.fail.Exception, match=r"imports are not those of the file"):
        test_snippet_comes_from_a_file("docs/x.md:3", foreign)


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
