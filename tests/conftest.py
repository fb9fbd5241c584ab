"""Shared fixtures: fake AWS credentials for every test, boto3 clients for the moto server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_cache_di.fetchers.clients import lambda_config
from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT
from tests.postgres import PostgresServer, server_binaries

# No test may ever reach a real AWS account, whatever the developer's shell holds.
for _variable, _value in FAKE_AWS_ENVIRONMENT.items():
    os.environ[_variable] = _value
for _variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_variable, None)

ClientFactory = Callable[..., Any]


@pytest.fixture(scope="session", autouse=True)
def session_shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """LAMBDA_CACHE_DI_DIR for what runs before a test's own folder: module and session
    fixtures, and the subprocesses they start. Nothing is written into the real /tmp."""
    folder = tmp_path_factory.mktemp("session-shared") / "lambda-cache-di"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAMBDA_CACHE_DI_DIR", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def shared_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point LAMBDA_CACHE_DI_DIR at a fresh 0700 folder, so no test writes into the real /tmp."""
    folder = tmp_path_factory.mktemp("shared") / "lambda-cache-di"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    monkeypatch.setenv("LAMBDA_CACHE_DI_DIR", str(folder))
    for variable in ("AWS_LAMBDA_MAX_CONCURRENCY", "LAMBDA_CACHE_DI_SHARED"):
        monkeypatch.delenv(variable, raising=False)
    return folder


@pytest.fixture(autouse=True)
def batch_quota_open() -> Iterator[None]:
    """Each test starts with Secrets Manager's batch quota open (a throttled batch rests it)."""
    from lambda_cache_di.fetchers.secrets import batch_quota

    batch_quota.reset()
    yield
    batch_quota.reset()


@pytest.fixture
def aws_client(moto_endpoint: str) -> Iterator[ClientFactory]:
    """Make real boto3 clients that talk HTTP to the (freshly reset) moto server."""

    def make(service: str, endpoint_url: str | None = None, **config: Any) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=endpoint_url or moto_endpoint,
            config=lambda_config(**config),
        )

    yield make


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the session (Debian's server binaries)."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: "
            "install Debian's postgresql package (.ci/run does when it can)"
        )
    server = PostgresServer(binaries)
    server.start()
    try:
        yield server
    finally:
        server.stop()
