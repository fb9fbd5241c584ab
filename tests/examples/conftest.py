"""Fixtures for example handlers: a cold start imports the handler module anew."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest


@pytest.fixture
def cold_start() -> Callable[[str], ModuleType]:
    """Import (or re-import) an example module as Lambda does at a cold start: new container."""

    def load(module_name: str) -> ModuleType:
        module = importlib.import_module(module_name)
        return importlib.reload(module)

    return load
