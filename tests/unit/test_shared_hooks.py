"""Invalidation of lazy providers, and hooks that survive one provider's failure (issue 22)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import Derived, Secret, SSMParameter, invalidate_all
from lambda_cache_di.core import environment
from lambda_cache_di.snapstart import drop_secrets, reset_derived, restore


@pytest.fixture
def sharing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_CACHE_DI_SHARED", "1")


@pytest.mark.parametrize("configured", [None, "/prod/db"])
@pytest.mark.parametrize(
    "kind", [lambda name: SSMParameter(name), lambda name: Secret(name, shared=True)]
)
def test_invalidating_a_lazy_provider_never_resolved_does_nothing(sharing, kind, configured):
    """A provider named by Configuration and not yet resolved invalidates without raising."""
    config = providers.Configuration()
    config.from_dict({"name": configured})
    provider = kind(config.name)
    provider.invalidate()
    assert (provider.age, provider.describe()) == (None, "(not resolved: config.name)")


class Failing(SSMParameter):
    """A provider whose invalidation fails, as one whose client cannot be made might."""

    def invalidate(self) -> None:
        raise RuntimeError("invalidate failed")


class BrokenDerived(Derived):  # type: ignore[type-arg]
    """A Derived whose reset fails."""

    def reset(self) -> None:
        raise RuntimeError("reset failed")


class Connection:
    def __init__(self, value: str) -> None:
        self.value = value
        self.closed = False

    def close(self) -> None:
        self.closed = True


class App(containers.DeclarativeContainer):
    first = Secret("/prod/first")
    broken = Failing("/prod/broken")
    broken_derived = BrokenDerived(Connection, first, close=Connection.close)
    last = Secret("/prod/last")
    connection = Derived(Connection, last, close=Connection.close)


def warm(container: Any) -> Connection:
    for provider in (container.first, container.broken, container.last):
        provider._entry.put("value")
    return container.connection()  # type: ignore[no-any-return]


def test_invalidate_all_handles_every_provider_and_reports_the_failure(caplog):
    """One provider whose invalidate raises: the others are invalidated, the failure logged."""
    container = App()
    warm(container)
    with caplog.at_level(logging.WARNING):
        failures = invalidate_all(container)
    assert (container.first.age, container.last.age) == (None, None)
    assert {name: type(exc) for name, exc in failures.items()} == {"broken": RuntimeError}
    assert "invalidate_all: broken failed (RuntimeError)" in caplog.text
    assert "invalidate failed" not in caplog.text


def test_before_snapshot_steps_handle_every_provider(caplog):
    """drop_secrets and reset_derived go on past a provider that raises."""
    container = App()
    built = warm(container)
    dropped = drop_secrets(container, drop_parameters=True)
    reset = reset_derived(container)
    assert (container.first.age, container.last.age, built.closed) == (None, None, True)
    assert [type(exc) for exc in dropped.values()] == [RuntimeError]
    assert [type(exc) for exc in reset.values()] == [RuntimeError]


def test_after_restore_handles_every_provider(monkeypatch):
    """The after-restore step resets and forgets every other provider past a failing one."""
    monkeypatch.setattr(environment, "_restored", [])
    monkeypatch.delitem(sys.modules, "snapshot_restore_py", raising=False)
    container = App()
    built = warm(container)
    assert restore(container, prefetch_again=False) == {}
    assert (container.first.age, container.last.age, built.closed) == (None, None, True)
