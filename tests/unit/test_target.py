"""Finding the container a command line names, and copying it without wiring."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import SSMParameter
from lambda_cache_di.tools.target import TargetError, fresh_instance, load_container

APP_DIR = str(Path(__file__).resolve().parents[1] / "fixtures_app")


@pytest.fixture
def app_dir(monkeypatch: pytest.MonkeyPatch) -> str:
    """The fixture app's folder, taken off sys.path again after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    return APP_DIR


def test_class_and_instance(app_dir):
    """Both a DeclarativeContainer class and a container instance are accepted."""
    cls = load_container("checkapp.containers:Small", app_dir=app_dir)
    instance = load_container("checkapp.containers:small", app_dir=app_dir)
    assert isinstance(cls, type) and issubclass(cls, containers.DeclarativeContainer)
    assert isinstance(instance, containers.DynamicContainer)


def test_not_a_container(app_dir):
    """Any other attribute is refused with its type."""
    with pytest.raises(TargetError, match="is a int, not a dependency-injector container"):
        load_container("checkapp.containers:not_a_container", app_dir=app_dir)


def test_fresh_instance_copies_overridings_and_does_not_wire():
    """The copy has its own providers, keeps overridings and wires nothing."""

    class App(containers.DeclarativeContainer):
        wiring_config = containers.WiringConfiguration(modules=["no.such.module"])
        value = SSMParameter("/a")
        other = SSMParameter("/b")

    App.other.override(providers.Object("fake"))
    try:
        copy = fresh_instance(App)
    finally:
        App.other.reset_override()
    assert copy.value is not App.value
    assert copy.value.resource == "/a"
    assert copy.other() == "fake"


def test_module_raising_on_import(app_dir):
    """Any exception at import is reported by type, without its message (it may hold a value)."""
    with pytest.raises(TargetError, match="raised RuntimeError on import") as caught:
        load_container("checkapp.raises:App", app_dir=app_dir)
    assert "VALUE-do-not-print" not in str(caught.value)
