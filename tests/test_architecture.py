"""The layers of `lambda_cache_di`, pinned: who imports whom, and who touches what.

core (stdlib only) -> fetchers (boto3 in, plain values out) -> providers (the
only library layer importing dependency_injector) -> edges (clients, prefetch, metrics,
snapstart, tools, testing). Each test reads the source with `ast`; none imports
the modules it checks, so a fault planted anywhere is found without running it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import lambda_cache_di

PACKAGE = Path(lambda_cache_di.__file__).parent
LAYERS = ("core", "fetchers", "providers")
EDGES = ("clients", "prefetch", "snapstart", "metrics", "tools", "testing", "__main__")


def module_name(path: Path) -> str:
    """`lambda_cache_di.core.cache` for `lambda_cache_di/core/cache.py`."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path, ast.parse(path.read_text(), str(path))


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under `if TYPE_CHECKING:` (no import at run time)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def imports(name: str, path: Path, tree: ast.Module) -> set[str]:
    """Every module `name` imports at run time, module-level or lazily, by absolute name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from . import x` and `from .fetchers import ssm` name modules too.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if _is_module(module) or not module.startswith("lambda")}


def _is_module(module: str) -> bool:
    relative = Path(*module.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").exists() or (
        PACKAGE.parent / relative / "__init__.py"
    ).exists()


def layer_of(module: str) -> str:
    """`core`, `fetchers`, `providers`, `errors`, or the edge it belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "package"


GRAPH = {name: imports(name, path, tree) for name, path, tree in sources()}


class TestLayers:
    """Imports run downward only."""

    def test_core_imports_only_the_standard_library(self) -> None:
        """core/ imports the standard library, the errors module and itself: nothing else."""
        for name, imported in GRAPH.items():
            if layer_of(name) != "core":
                continue
            foreign = {
                module
                for module in imported
                if module.split(".")[0] not in sys.stdlib_module_names
                and module != "lambda_cache_di.errors"
                and not module.startswith("lambda_cache_di.core")
                and module != "__future__"
            }
            assert foreign == set(), f"{name} imports {sorted(foreign)}"

    def test_only_providers_and_edges_import_dependency_injector(self) -> None:
        """errors, core/ and fetchers/ never import dependency_injector."""
        importers = {
            name
            for name, imported in GRAPH.items()
            if any(module.split(".")[0] == "dependency_injector" for module in imported)
        }
        assert {layer_of(name) for name in importers} <= {"providers", *EDGES}

    def test_only_fetchers_and_edges_import_boto(self) -> None:
        """boto3 and botocore are the fetchers' business (and the clients', the demo's, tests')."""
        importers = {
            name
            for name, imported in GRAPH.items()
            if any(module.split(".")[0] in ("boto3", "botocore") for module in imported)
        }
        assert {layer_of(name) for name in importers} <= {"fetchers", "clients", "tools", "testing"}

    @pytest.mark.parametrize(
        ("layer", "forbidden"),
        [
            ("errors", {"core", "fetchers", "providers", *EDGES}),
            ("core", {"fetchers", "providers", *EDGES}),
            ("fetchers", {"providers", *EDGES}),
            ("providers", set(EDGES)),
        ],
    )
    def test_no_upward_import(self, layer: str, forbidden: set[str]) -> None:
        """A layer never imports one above it."""
        upward = {
            (name, module)
            for name, imported in GRAPH.items()
            if layer_of(name) == layer
            for module in imported
            if module.startswith("lambda_cache_di.") and layer_of(module) in forbidden
        }
        assert upward == set()

    def test_no_two_modules_import_each_other(self) -> None:
        """The import graph of the package's modules (package roots aside) has no circle."""
        nodes = {name for name, path, _ in sources() if path.name != "__init__.py"}
        edges = {name: {m for m in GRAPH[name] if m in nodes and m != name} for name in nodes}
        assert _cycles(edges) == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _own_private_names(tree: ast.Module) -> set[str]:
    """Underscore attributes a file's classes define: `self._x = ...`, `def _x`, `__slots__`."""
    names: set[str] = set()
    for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                names.update(c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant))
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def private_reach() -> list[str]:
    """`x._name` where `_name` belongs to a class of another file, and `x` is not self/cls."""
    parsed = [(name, tree) for name, _, tree in sources()]
    owners: dict[str, set[str]] = {}
    for name, tree in parsed:
        for attribute in _own_private_names(tree):
            owners.setdefault(attribute, set()).add(name)
    found = []
    for name, tree in parsed:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr not in owners:
                continue
            target = node.value
            if isinstance(target, ast.Name) and target.id in ("self", "cls"):
                continue
            if isinstance(target, ast.Call) and ast.unparse(target.func) == "super":
                continue
            if name not in owners[node.attr]:
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


class TestEncapsulation:
    """Delegation, not reach."""

    def test_no_module_touches_another_files_private_attributes(self) -> None:
        """No module reads or writes an underscore attribute that a class of another file owns."""
        assert private_reach() == []

    def test_edges_name_no_provider_class(self) -> None:
        """prefetch, snapstart, iam-policy and check use the source protocol, not isinstance."""
        edge_files = ["prefetch.py", "snapstart.py", "tools/iam.py", "tools/check.py"]
        concrete = {"SSMParameter", "SSMParameters", "SSMParametersByPath", "Secret", "Secrets"}
        concrete |= {"S3File"}
        for relative in edge_files:
            tree = ast.parse((PACKAGE / relative).read_text())
            named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            named |= {
                alias.name
                for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom)
                for alias in n.names
            }
            assert named & concrete == set(), relative


def test_public_names_are_pinned() -> None:
    """`lambda_cache_di.__all__` is exactly the public contract (as httpx pins its exports)."""
    assert sorted(lambda_cache_di.__all__) == [
        "AwsClients",
        "CacheStats",
        "CachedProvider",
        "ConfigurationError",
        "Derived",
        "FetchError",
        "LambdaCacheError",
        "NotFoundError",
        "S3File",
        "SSMParameter",
        "SSMParameters",
        "SSMParametersByPath",
        "Secret",
        "Secrets",
        "TransformError",
        "cached_providers",
        "invalidate_all",
        "prefetch",
        "set_clock",
    ]
    for name in lambda_cache_di.__all__:
        assert getattr(lambda_cache_di, name).__name__ == name
