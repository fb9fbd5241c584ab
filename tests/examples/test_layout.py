"""The examples read one way: application code, containers, handlers that wire themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = sorted((ROOT / "examples" / "app").glob("*.py"))
CONTAINERS = sorted(path for path in (ROOT / "containers").glob("*.py") if path.stem != "__init__")
HANDLERS = sorted(path for path in (ROOT / "examples").glob("*.py") if path.stem != "__init__")
DEMO_APP = ROOT / "lambda_cache_di" / "tools" / "demo_app"
ROTATION_CONTAINERS: set[str] = set()
ROTATION_HANDLERS: set[str] = set()
LIBRARIES = {"lambda_cache_di", "dependency_injector"}
WIRE_ITSELF = "container.wire(modules=[__name__])"


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a file imports, at any depth of its code."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def top_package(module: str) -> str:
    return module.split(".", 1)[0]


def is_third_party_or_stdlib(module: str) -> bool:
    return top_package(module) not in {"examples", "containers", "tests", *LIBRARIES}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", APP, ids=rel)
def test_application_code_knows_no_container(path):
    """examples/app/ imports neither the library, dependency-injector, containers nor handlers."""
    reached = {module for module in imported_modules(path) if not is_third_party_or_stdlib(module)}
    assert {m for m in reached if not m.startswith("examples.app")} == set(), rel(path)


@pytest.mark.parametrize("path", CONTAINERS, ids=rel)
def test_containers_import_only_application_code(path):
    """A container module imports the library, dependency-injector and examples/app/, no handler."""
    if path.stem in ROTATION_CONTAINERS:
        pytest.skip(f"{rel(path)} is rewritten on the rotation branch")
    modules = imported_modules(path)
    outside = {
        module
        for module in modules
        if top_package(module) in {"examples", "containers", "tests"}
        and not module.startswith("examples.app")
    }
    assert outside == set(), f"{rel(path)} imports {sorted(outside)}"


@pytest.mark.parametrize("path", CONTAINERS, ids=rel)
def test_containers_name_no_consumer(path):
    """No container class declares `wiring_config`: the handler module wires itself."""
    tree = ast.parse(path.read_text())
    declaring = [
        f"{node.name} names {ast.unparse(assign.value)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for assign in node.body
        if isinstance(assign, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "wiring_config" for t in assign.targets)
        and not any(f"examples.{name}" in ast.unparse(assign.value) for name in ROTATION_HANDLERS)
    ]
    assert declaring == [], rel(path)


def container_modules(path: Path) -> set[str]:
    """The modules of containers/ a handler imports, by their short name."""
    return {m.split(".", 1)[1] for m in imported_modules(path) if m.startswith("containers.")}


@pytest.mark.parametrize("path", HANDLERS, ids=rel)
def test_handlers_are_named_after_their_container_module(path):
    """examples/ssm_*.py take their containers from containers/ssm.py, and so on."""
    if path.stem in ROTATION_HANDLERS:
        pytest.skip(f"{rel(path)} is rewritten on the rotation branch")
    for module in container_modules(path):
        assert path.stem.startswith(module.removesuffix("s")), (
            f"{rel(path)} uses containers.{module}"
        )


def test_every_container_module_serves_a_handler():
    """Each module of containers/ is imported by a handler: none exists for a test alone."""
    served = set().union(*(container_modules(path) for path in HANDLERS))
    assert sorted(path.stem for path in CONTAINERS if path.stem not in served) == []


@pytest.mark.parametrize("path", [*HANDLERS, DEMO_APP / "orders.py"], ids=lambda path: rel(path))
def test_injected_handlers_wire_themselves(path):
    """A module that injects with `Provide`/`Provider` wires itself, after its functions."""
    if path.stem in ROTATION_HANDLERS:
        pytest.skip(f"{rel(path)} is rewritten on the rotation branch")
    text = path.read_text()
    if "Provide[" not in text and "Provider[" not in text:
        pytest.skip(f"{rel(path)} injects nothing (it calls the providers)")
    lines = [line.split("  #", 1)[0] for line in text.splitlines()]
    assert WIRE_ITSELF in lines, f"{rel(path)} does not wire itself"
    last_def = max(i for i, line in enumerate(lines) if line.startswith(("def ", "async def ")))
    assert lines.index(WIRE_ITSELF) > last_def, f"{rel(path)} wires before its last function"


def test_the_demo_container_names_no_consumer():
    """The packaged demo app follows the same rule: its container imports no module of its own."""
    tree = ast.parse((DEMO_APP / "orders_container.py").read_text())
    relative = [
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level
    ]
    assert relative == []
    assert "wiring_config" not in ast.unparse(tree)
