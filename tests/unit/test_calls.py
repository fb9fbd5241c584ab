"""CachedCall: a fetch callable of the user's own, cached like every source."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from dependency_injector import containers, providers

from lambda_cache_di import (
    CachedCall,
    ConfigurationError,
    FetchError,
    NotFoundError,
    prefetch,
)
from lambda_cache_di.testing import FakeClock
from lambda_cache_di.tools.check import CheckResult, check_container
from lambda_cache_di.tools.iam import policy_for
from tests.frames import exception_chain

SECRET = "s3cr3t-CALL-VALUE"


class Counted:
    """A fetch callable returning the next of `values` (or raising it); counts calls and clients."""

    def __init__(self, *values: Any) -> None:
        self.values = list(values)
        self.clients: list[Any] = []

    def __call__(self, *client: Any) -> Any:
        self.clients.append(client)
        value = self.values[min(len(self.clients), len(self.values)) - 1]
        if isinstance(value, BaseException):
            raise value
        return value


def client_error(code: str, status: int = 400) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": SECRET},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "GetCallerIdentity")


class TestTTL:
    def test_cached_until_max_age_without_client(self):
        """Without a client the callable gets no argument; within max age it is not called."""
        fetch = Counted("one", "two")
        clock = FakeClock()
        value = CachedCall(fetch, clock=clock, max_age_in_seconds=60, jitter=0)
        assert value() == "one"
        clock.tick(59)
        assert value() == "one"
        clock.tick(1)
        assert value() == "two"
        assert fetch.clients == [(), ()]

    def test_client_and_client_provider(self):
        """A client, or a provider of one resolved at each fetch, is passed to the callable."""
        client = object()
        fetch = Counted("one")
        CachedCall(fetch, client=client)()
        CachedCall(fetch, client=providers.Object(client))()
        assert fetch.clients == [(client,), (client,)]

    def test_transform_and_name(self):
        """A transform applies to what the callable returns; `name` names it in messages."""
        value = CachedCall(Counted('{"a": 1}'), name="settings", transform="json")
        assert value() == {"a": 1}
        assert value.name == "settings"
        assert repr(value).startswith("<CachedCall 'settings' max_age=60s")

    def test_default_name_is_the_callable(self):
        """Without `name`, the callable's module and qualified name name it."""
        assert CachedCall(Counted.__call__).name == "tests.unit.test_calls.Counted.__call__"


class TestSingleFlight:
    def test_sixteen_threads_one_call(self):
        """Sixteen threads on a cold provider make one call of the callable."""
        fetch = Counted("one")
        value = CachedCall(fetch)
        barrier = threading.Barrier(16)
        results: list[Any] = []

        def work() -> None:
            barrier.wait()
            results.append(value())

        threads = [threading.Thread(target=work) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert (results, len(fetch.clients)) == (["one"] * 16, 1)


class TestErrors:
    def test_botocore_errors_translated(self):
        """Not-found codes are NotFoundError; throttling is a transient FetchError with its code."""
        with pytest.raises(NotFoundError) as missing:
            CachedCall(Counted(client_error("ResourceNotFoundException")), name="thing")()
        with pytest.raises(FetchError) as throttled:
            CachedCall(Counted(client_error("ThrottlingException")), name="thing")()
        assert missing.value.names == ("thing",)
        assert str(throttled.value) == "call failed for thing: ThrottlingException"
        assert throttled.value.transient is True
        assert SECRET not in str(throttled.value)

    def test_network_errors_are_transient(self):
        """botocore's connection errors and plain OSErrors are transient FetchErrors."""
        for error in (EndpointConnectionError(endpoint_url="http://x"), ConnectionResetError()):
            with pytest.raises(FetchError) as raised:
                CachedCall(Counted(error), name="thing")()
            assert raised.value.transient is True

    def test_library_errors_pass(self):
        """A NotFoundError the callable raises reaches the caller as it is."""
        error = NotFoundError(["config/x"])
        with pytest.raises(NotFoundError) as raised:
            CachedCall(Counted(error))()
        assert raised.value is error

    def test_foreign_error_wrapped_without_its_message(self):
        """Any other exception is a FetchError naming its class only, chained to it."""
        error = KeyError(SECRET)
        with pytest.raises(FetchError) as raised:
            CachedCall(Counted(error), name="thing")()
        assert str(raised.value) == "call failed for thing: KeyError"
        assert (raised.value.__cause__, raised.value.transient) == (error, False)

    def test_secret_call_does_not_chain(self):
        """With holds_secrets=True the callable's own error is not chained at all."""
        with pytest.raises(FetchError) as raised:
            CachedCall(Counted(ValueError(SECRET)), name="thing", holds_secrets=True)()
        assert list(exception_chain(raised.value)) == [raised.value]

    def test_stale_value_on_transient_error_then_backoff(self):
        """A transient failure in the stale window serves the old value; then fails fast."""
        fetch = Counted("one", ConnectionResetError(), ConnectionResetError())
        clock = FakeClock()
        value = CachedCall(fetch, clock=clock, stale_if_error_in_seconds=30)
        assert value() == "one"
        clock.tick(61)
        assert value() == "one"
        clock.tick(30)
        with pytest.raises(FetchError):
            value()
        with pytest.raises(FetchError, match="backing off for "):
            value()
        assert len(fetch.clients) == 3

    def test_bad_definitions(self):
        """Bad arguments are ConfigurationErrors at construction."""
        for build, message in (
            (lambda: CachedCall("not callable"), "fetch must be a callable"),
            (lambda: CachedCall(Counted(), name=""), "name must be a non-empty str"),
            (lambda: CachedCall(Counted(), iam_actions="sts:X"), "iam_actions must be a list"),
            (lambda: CachedCall(Counted(), iam_actions=["nope"]), "is not an IAM action"),
            (lambda: CachedCall(Counted(), iam_resources=["x"]), "iam_resources must hold"),
            (lambda: CachedCall(lambda: 1, shared=True), "shared=True needs a name="),
            (lambda: CachedCall(Counted(), holds_secrets=1), "holds_secrets must be"),
        ):
            with pytest.raises(ConfigurationError, match=message):
                build()


class TestSharedTier:
    def test_not_shared_by_default(self, monkeypatch, shared_folder: Path):
        """Even where processes share, a call is not shared unless it says shared=True."""
        monkeypatch.setenv("LAMBDA_CACHE_DI_SHARED", "1")
        fetch = Counted("one")
        for _ in range(2):  # two processes
            assert CachedCall(fetch, name="config")() == "one"
        assert (len(fetch.clients), list(shared_folder.iterdir())) == (2, [])

    def test_shared_when_asked(self, shared_folder: Path):
        """shared=True: a second process reads the raw text from the store and transforms it."""
        fetch = Counted('{"limit": 5}')
        for _ in range(2):
            value = CachedCall(fetch, name="config", shared=True, transform="json")
            assert value() == {"limit": 5}
        assert len(fetch.clients) == 1

    def test_value_the_store_cannot_hold_is_not_shared(self, shared_folder: Path):
        """A number is no value of the JSON store: each process calls for itself, and gets it."""
        fetch = Counted(42)
        for _ in range(2):
            assert CachedCall(fetch, name="answer", shared=True)() == 42
        assert len(fetch.clients) == 2

    def test_secret_flag(self):
        """holds_secrets=True marks the cached value as a secret for the SnapStart hook."""
        value = CachedCall(Counted("x"), holds_secrets=True)
        value()
        assert (value.holds_secrets, value.holds_secret_value) == (True, True)
        assert CachedCall(Counted("x")).holds_secrets is False


class App(containers.DeclarativeContainer):
    identity = CachedCall(
        Counted({"Account": "123456789012"}),
        name="caller identity",
        iam_actions=["sts:GetCallerIdentity"],
    )
    config = CachedCall(Counted("text"), name="http config")


class TestEdges:
    def test_prefetch_fetches_each_once(self):
        """prefetch calls each callable once; calls after it make none."""
        container = App()
        assert prefetch(container) == {}
        assert (container.identity(), container.config()) == ({"Account": "123456789012"}, "text")
        assert container.identity.stats.hits == 1

    def test_iam_policy_grants_the_declared_actions(self):
        """iam-policy grants what the call declares, and notes the call that declares nothing."""
        policy = policy_for(App)
        assert policy.document["Statement"] == [
            {
                "Sid": "CallCallerIdentity",
                "Effect": "Allow",
                "Action": ["sts:GetCallerIdentity"],
                "Resource": ["*"],
            }
        ]
        assert policy.notes == ("note: config (CachedCall) is not covered: add its grants",)

    def test_check_calls_each(self):
        """check calls each callable once and reports each."""
        assert check_container(App) == [
            CheckResult("identity", "caller identity", "OK"),
            CheckResult("config", "http config", "OK"),
        ]
