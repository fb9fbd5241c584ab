"""SnapStart hooks: registered only for a SnapStart init, once; what they drop and fetch again."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import Derived, S3File, Secret, Secrets, SSMParameter
from lambda_cache_di.core import environment
from lambda_cache_di.snapstart import register_snapstart_hooks


class FakeHooks(types.ModuleType):
    """A stand-in for `snapshot_restore_py` that records the registered functions."""

    def __init__(self) -> None:
        super().__init__("snapshot_restore_py")
        self.before: list[Callable[[], Any]] = []
        self.after: list[Callable[[], Any]] = []

    def register_before_snapshot(self, func: Callable[[], Any]) -> None:
        self.before.append(func)

    def register_after_restore(self, func: Callable[[], Any]) -> None:
        self.after.append(func)

    def snapshot(self) -> None:
        """Run the before-snapshot hooks as Lambda does: last registered first."""
        for func in reversed(self.before):
            func()

    def restore(self) -> None:
        """Run the after-restore hooks as Lambda does: in registration order."""
        for func in self.after:
            func()


def fake_snapstart_init(monkeypatch: pytest.MonkeyPatch) -> FakeHooks:
    """A SnapStart init with the runtime's hooks module in place, in a process not yet restored."""
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setattr(environment, "_restored", [])
    module = FakeHooks()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return module


class App(containers.DeclarativeContainer):
    secret = Secret("/prod/db")
    group = Secrets(["/prod/a", "/prod/b"])
    parameter = SSMParameter("/prod/table")
    model = S3File("s3://models/m.json")


def warm(container: Any) -> None:
    """Fill every provider's cache with a fake value, as a batched prefetch does."""
    names = ("secret", "group", "parameter", "model")
    for name in names:
        getattr(container, name)._entry.put(f"value-of-{name}")


def cached(container: Any) -> list[str]:
    return sorted(
        name
        for name in ("secret", "group", "parameter", "model")
        if getattr(container, name).age is not None
    )


@pytest.fixture
def snapstart_init(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a SnapStart init, in a process not yet restored."""
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setattr(environment, "_restored", [])


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch, snapstart_init: None) -> FakeHooks:
    module = FakeHooks()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return module


def register(container: Any, **options: Any) -> bool:
    """Register without the after-restore prefetch: these tests have no AWS behind them."""
    return register_snapstart_hooks(container, prefetch_after_restore=False, **options)


def test_without_the_runtime_module_nothing_is_registered(monkeypatch, snapstart_init):
    """In a SnapStart init without `snapshot_restore_py`, registration returns False."""
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    assert register(App()) is False


@pytest.mark.parametrize("initialization", [None, "on-demand", "provisioned-concurrency"])
def test_outside_a_snapstart_init_nothing_is_registered(monkeypatch, initialization):
    """With the runtime module present but no SnapStart init, nothing is registered: False."""
    module = FakeHooks()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    monkeypatch.setattr(environment, "_restored", [])
    if initialization is None:
        monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", initialization)
    assert register(App()) is False
    assert (module.before, module.after) == ([], [])


def test_one_hook_of_each_kind_is_registered(hooks):
    """Registration returns True and registers one before-snapshot and one after-restore hook."""
    assert register(App()) is True
    assert (len(hooks.before), len(hooks.after)) == (1, 1)


def test_registering_twice_registers_once(hooks):
    """A second registration of the same container adds no hook and still returns True."""
    container = App()
    assert [register(container), register(container)] == [True, True]
    assert (len(hooks.before), len(hooks.after)) == (1, 1)


def test_two_containers_get_hooks_each(hooks):
    """Each container instance gets its own pair of hooks."""
    assert [register(App()), register(App())] == [True, True]
    assert (len(hooks.before), len(hooks.after)) == (2, 2)


def test_after_a_restore_nothing_is_registered(hooks):
    """Once the process is restored it is no longer in a SnapStart init: False."""
    register(App())
    hooks.restore()
    assert register(App()) is False
    assert (len(hooks.before), len(hooks.after)) == (1, 1)


def test_before_snapshot_drops_secrets_only(hooks):
    """Before the snapshot Secret and Secrets forget their values; the others keep theirs."""
    container = App()
    warm(container)
    register(container)
    hooks.snapshot()
    assert cached(container) == ["model", "parameter"]


def test_before_snapshot_can_drop_parameters(hooks):
    """With drop_parameters=True the SSM providers are dropped too; files stay."""
    container = App()
    warm(container)
    register(container, drop_parameters=True)
    hooks.snapshot()
    assert cached(container) == ["model"]


def test_after_restore_drops_everything(hooks):
    """After a restore every cached provider fetches again."""
    container = App()
    warm(container)
    register(container)
    hooks.restore()
    assert cached(container) == []


def test_hooks_reach_nested_containers(hooks):
    """Secrets in a nested container are dropped before the snapshot too."""

    class Outer(containers.DeclarativeContainer):
        app = providers.Container(App)

    container = Outer()
    warm(container.app)
    register(container)
    hooks.snapshot()
    assert cached(container.app) == ["model", "parameter"]


class Connection:
    """A stand-in for a connection built from a cached value; records whether it was closed."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.closed = False

    def close(self) -> None:
        self.closed = True


class WithDerived(containers.DeclarativeContainer):
    parameter = SSMParameter("/prod/table")
    connection = Derived(Connection, parameter, close=Connection.close)


@pytest.mark.parametrize("moment", ["snapshot", "restore"])
def test_hooks_close_what_derived_built(hooks, moment):
    """Before the snapshot and after a restore, a Derived object is closed and built anew."""
    container = WithDerived()
    container.parameter._entry.put("orders")
    built = container.connection()
    register(container)
    getattr(hooks, moment)()
    container.parameter._entry.put("orders")  # the same value, fetched again
    assert built.closed is True
    assert container.connection() is not built


def test_before_snapshot_drops_a_decrypted_securestring(hooks):
    """A SecureString the application read at init is dropped; a String parameter stays."""
    from lambda_cache_di.fetchers.ssm import SecureText

    class Parameters(containers.DeclarativeContainer):
        password = SSMParameter("/prod/password", transform=str.upper)
        table = SSMParameter("/prod/table")

    container = Parameters()
    container.password._entry.put(container.password._finish(SecureText("hunter2")))
    container.table._entry.put(container.table._finish("orders"))
    register(container)
    hooks.snapshot()
    assert (container.password.age, container.table.age is not None) == (None, True)
