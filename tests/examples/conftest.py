"""Fixtures for example handlers: a cold start imports the handler module anew."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest

from tests.examples.framework_events import KEY, TABLE


@pytest.fixture
def cold_start() -> Callable[[str], ModuleType]:
    """Import (or re-import) an example module as Lambda does at a cold start: new container."""

    def load(module_name: str) -> ModuleType:
        module = importlib.import_module(module_name)
        return importlib.reload(module)

    return load


@pytest.fixture
def seeded(aws_client):
    """The table name and the API key the framework examples read."""
    # A roomy timeout: moto loads a service's backend on its first request, slowly on a busy host.
    ssm = aws_client("ssm", read_timeout=30)
    ssm.put_parameter(Name="/prod/web/table", Value=TABLE, Type="String")
    secretsmanager = aws_client("secretsmanager", read_timeout=30)
    secretsmanager.create_secret(Name="prod/web/api_key", SecretString=KEY)
