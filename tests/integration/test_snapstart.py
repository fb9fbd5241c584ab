"""SnapStart over HTTP to moto: no secret fetched at init, one batched round after a restore.

The runtime's hooks module is a stand-in that calls the registered functions
as Lambda does; requests are counted by the fault proxy in front of moto,
which can also leave connections opened before the "snapshot" unanswered.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from dependency_injector import containers, providers

from lambda_cache_di import Secret, SSMParameter, prefetch
from lambda_cache_di.fetchers import clients as fetcher_clients
from lambda_cache_di.snapstart import register_snapstart_hooks
from tests.faults.proxy import FaultProxy
from tests.recording import record_calls
from tests.unit.test_snapstart import FakeHooks, fake_snapstart_init

GET_PARAMETERS = "AmazonSSM.GetParameters"
BATCH_GET_SECRET_VALUE = "secretsmanager.BatchGetSecretValue"


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> FakeHooks:
    """A SnapStart init: the environment says so, and the runtime's hooks module is there."""
    return fake_snapstart_init(monkeypatch)


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    with FaultProxy(moto_endpoint, delay_seconds=2.0) as server:
        yield server


@pytest.fixture
def marker() -> str:
    return f"MARKER-{uuid.uuid4()}"


@pytest.fixture
def through_proxy(aws_client: Callable[..., Any], proxy: FaultProxy) -> Callable[[str], Any]:
    """Clients through the proxy: one attempt, a short read timeout."""

    def make(service: str) -> Any:
        return aws_client(
            service,
            endpoint_url=proxy.url,
            read_timeout=0.5,
            retries={"mode": "standard", "total_max_attempts": 1},
        )

    return make


@pytest.fixture
def container(
    aws_client: Callable[..., Any], through_proxy: Callable[[str], Any], marker: str
) -> Any:
    """Two secrets, a String and a SecureString parameter in moto; their providers."""
    secrets, ssm = aws_client("secretsmanager"), aws_client("ssm")
    secrets.create_secret(Name="app/alpha", SecretString=f"{marker}-alpha")
    secrets.create_secret(Name="app/beta", SecretString=f"{marker}-beta")
    ssm.put_parameter(Name="/app/table", Value="orders", Type="String")
    ssm.put_parameter(Name="/app/password", Value=f"{marker}-password", Type="SecureString")

    class App(containers.DeclarativeContainer):
        ssm = providers.Singleton(through_proxy, "ssm")
        secretsmanager = providers.Singleton(through_proxy, "secretsmanager")
        table = SSMParameter("/app/table", client=ssm)
        password = SSMParameter("/app/password", client=ssm)
        alpha = Secret("app/alpha", client=secretsmanager)
        beta = Secret("app/beta", client=secretsmanager)

    return App()


def cached(container: Any) -> list[str]:
    names = ("table", "password", "alpha", "beta")
    return [name for name in names if getattr(container, name).age is not None]


def test_prefetch_in_a_snapstart_init_fetches_no_secret(
    hooks: FakeHooks, container: Any, proxy: FaultProxy
) -> None:
    """One GetParameters without decryption; the String is cached, the SecureString is not."""
    sent = record_calls(container.ssm(), "GetParameters", lambda _, params: params)
    assert prefetch(container) == {}
    assert proxy.counts == {GET_PARAMETERS: 1}
    assert sent == [{"Names": ["/app/table", "/app/password"], "WithDecryption": False}]
    assert cached(container) == ["table"]
    assert container.table() == "orders"


def test_after_restore_everything_is_fetched_in_one_batched_round(
    hooks: FakeHooks, container: Any, proxy: FaultProxy, marker: str
) -> None:
    """After the restore: one GetParameters and one BatchGetSecretValue fill every provider."""
    prefetch(container)
    assert register_snapstart_hooks(container) is True
    hooks.snapshot()
    proxy.reset_counts()
    hooks.restore()
    assert proxy.counts == {GET_PARAMETERS: 1, BATCH_GET_SECRET_VALUE: 1}
    assert cached(container) == ["table", "password", "alpha", "beta"]
    assert [container.password(), container.alpha(), container.beta()] == [
        f"{marker}-password",
        f"{marker}-alpha",
        f"{marker}-beta",
    ]
    assert proxy.total == 2


def test_no_value_from_before_the_snapshot_is_served(
    hooks: FakeHooks, container: Any, aws_client: Callable[..., Any]
) -> None:
    """A String changed while the snapshot slept is read anew after the restore."""
    prefetch(container)
    register_snapstart_hooks(container)
    hooks.snapshot()
    aws_client("ssm").put_parameter(Name="/app/table", Value="orders-v2", Overwrite=True)
    hooks.restore()
    assert container.table() == "orders-v2"


def test_connections_opened_before_the_snapshot_are_dropped(
    hooks: FakeHooks,
    container: Any,
    proxy: FaultProxy,
    through_proxy: Callable[[str], Any],
) -> None:
    """Connections that went silent at the restore are not reused: the round succeeds at once."""
    control = through_proxy("ssm")
    control.get_parameter(Name="/app/table")
    prefetch(container)
    register_snapstart_hooks(container)
    opened = proxy.connections
    proxy.silence_open_connections()
    with pytest.raises(ReadTimeoutError):
        control.get_parameter(Name="/app/table")  # a client that kept its connection hangs
    hooks.restore()
    assert cached(container) == ["table", "password", "alpha", "beta"]
    assert proxy.connections == opened + 2  # one new connection per client


def test_default_clients_drop_their_connections_and_still_work(
    monkeypatch: pytest.MonkeyPatch, proxy: FaultProxy, aws_client: Callable[..., Any]
) -> None:
    """A default client whose connection went silent answers again after drop_connections()."""
    aws_client("ssm").put_parameter(Name="/app/table", Value="orders", Type="String")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    fetcher_clients.reset_default_clients()
    try:
        client = fetcher_clients.default_client("ssm")
        client.get_parameter(Name="/app/table")
        proxy.silence_open_connections()
        assert fetcher_clients.drop_connections() == 1
        assert client.get_parameter(Name="/app/table")["Parameter"]["Value"] == "orders"
        assert proxy.connections == 2
    finally:
        fetcher_clients.reset_default_clients()
        os.environ.pop("AWS_ENDPOINT_URL", None)
