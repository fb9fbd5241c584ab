"""Throttling (DESIGN.md 8.2) against a token bucket in front of moto, with real boto3 clients.

The proxy's bucket answers over its rate as AWS does: HTTP 400
`ThrottlingException` "Rate exceeded" (SSM, Secrets Manager), 503 `SlowDown` (S3).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from dependency_injector import containers, providers

from lambda_cache_di import FetchError, S3File, Secret, Secrets, SSMParameter, prefetch
from lambda_cache_di.fetchers.clients import new_client
from lambda_cache_di.testing import FakeClock

from .proxy import Fault, FaultProxy, TokenBucket

FIRST, SECOND = "/burst/first", "/burst/second"
ENVIRONMENTS = 20
RATE = 4.0  # SSM's 40 requests a second, and a 200-environment burst, scaled by ten


def library_client(proxy: FaultProxy, service: str) -> Any:
    """A client as the library makes them (`AwsClients`, default clients), through the proxy."""
    return new_client(
        boto3.session.Session(), service, endpoint_url=proxy.url, region_name="us-east-1"
    )


class Environment(containers.DeclarativeContainer):
    """One execution environment's container: two parameters, its own client."""

    ssm = providers.Dependency()
    first = SSMParameter(FIRST, client=ssm)
    second = SSMParameter(SECOND, client=ssm)


def throttled_and_served(proxy: FaultProxy) -> tuple[int, int]:
    throttled = sum(exchange.fault is Fault.THROTTLE for exchange in proxy.exchanges)
    return throttled, proxy.total - throttled


@pytest.fixture
def ssm(aws_client: Callable[..., Any]) -> Any:
    # Roomy: moto's first SSM request loads AWS's public parameters, slow on a busy machine.
    client = aws_client("ssm", read_timeout=30)
    client.put_parameter(Name=FIRST, Value="VALUE-first", Type="String")
    client.put_parameter(Name=SECOND, Value="VALUE-second", Type="String")
    return client


class TestBurst:
    """A fleet's cold starts against the quota."""

    def test_twenty_environments_against_four_requests_a_second(
        self, ssm: Any, proxy: FaultProxy, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """20 environments cold-starting at once fail no first invocation, each within 25 s."""
        environments = [Environment(ssm=library_client(proxy, "ssm")) for _ in range(ENVIRONMENTS)]
        start = threading.Barrier(ENVIRONMENTS)
        took: list[float] = []
        failed: list[BaseException] = []

        def first_invocation(environment: Environment) -> None:
            start.wait()
            began = time.monotonic()
            try:
                assert (environment.first(), environment.second()) == (
                    "VALUE-first",
                    "VALUE-second",
                )
            except BaseException as exc:  # counted, not raised: the figures say what failed
                failed.append(exc)
            took.append(time.monotonic() - began)

        proxy.reset_counts()
        proxy.bucket = TokenBucket(RATE)
        threads = [threading.Thread(target=first_invocation, args=(e,)) for e in environments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        throttled, served = throttled_and_served(proxy)
        with capsys.disabled():
            print(
                f"\nburst: {len(failed)} failed of {ENVIRONMENTS}, slowest {max(took):.1f}s, "
                f"{throttled} throttled / {served} served = {throttled / served:.2f}"
            )
        assert failed == []
        assert len(took) == ENVIRONMENTS and max(took) < 25
        assert served == 2 * ENVIRONMENTS
        assert throttled / served < 2


class TestThrottledRefresh:
    """A value in hand is served at once while the quota is spent."""

    def test_value_in_hand_is_served_without_waiting(self, ssm: Any, proxy: FaultProxy) -> None:
        """After expiry a throttled refresh answers the old value with one request and no wait."""
        clock = FakeClock()
        provider = SSMParameter(FIRST, client=library_client(proxy, "ssm"), clock=clock)
        assert provider() == "VALUE-first"
        clock.tick(61)
        proxy.reset_counts()
        proxy.mode = Fault.THROTTLE
        before = clock.now
        assert [provider() for _ in range(5)] == ["VALUE-first"] * 5
        assert clock.now == before
        assert proxy.total == 1
        assert (provider.stats.stale, provider.stats.throttled) == (5, 1)

    def test_stale_window_is_one_more_max_age(self, ssm: Any, proxy: FaultProxy) -> None:
        """Past two max ages the value in hand is no longer served: the fetch waits, then fails."""
        clock = FakeClock()
        provider = SSMParameter(
            FIRST, client=library_client(proxy, "ssm"), clock=clock, throttle_wait_in_seconds=3
        )
        provider()
        clock.tick(121)
        proxy.mode = Fault.THROTTLE
        with pytest.raises(FetchError) as caught:
            provider()
        assert caught.value.throttled
        assert 121 < clock.now - 1000 <= 124


class TestWaiting:
    """A fetch with nothing in hand waits its turn, within its bound."""

    def test_throttle_lifting(self, ssm: Any, proxy: FaultProxy) -> None:
        """Three throttled answers, then the value: one call, four requests, no error."""
        clock = FakeClock()
        provider = SSMParameter(FIRST, client=library_client(proxy, "ssm"), clock=clock)
        proxy.queue(Fault.THROTTLE, Fault.THROTTLE, Fault.THROTTLE)
        assert provider() == "VALUE-first"
        assert proxy.total == 4
        assert (provider.stats.throttled, provider.stats.errors) == (3, 0)
        assert 0 < clock.now - 1000 < 2 + 4 + 8

    def test_wait_is_bounded(self, ssm: Any, proxy: FaultProxy) -> None:
        """Under a throttle that never lifts the call fails after its wait, with few requests."""
        clock = FakeClock()
        provider = SSMParameter(
            FIRST, client=library_client(proxy, "ssm"), clock=clock, throttle_wait_in_seconds=20
        )
        proxy.mode = Fault.THROTTLE
        with pytest.raises(FetchError, match="ThrottlingException"):
            provider()
        assert clock.now - 1000 <= 20
        # Pauses of rand(0, 1) x 2, 4, 8, 8 ... s: about seven tries in 20 s. More than
        # ten came in 4 % of 400,000 simulated calls, more than fifteen in 1 of 100,000.
        assert proxy.total <= 15
        assert provider.stats.throttled == proxy.total

    def test_botocore_does_not_retry_throttling(self, ssm: Any, proxy: FaultProxy) -> None:
        """The library's clients retry a 500 once but send a throttled request only once."""
        client = library_client(proxy, "ssm")
        proxy.queue(Fault.HTTP_500)
        assert client.get_parameter(Name=FIRST)["Parameter"]["Value"] == "VALUE-first"
        assert proxy.total == 2
        proxy.queue(Fault.THROTTLE)
        with pytest.raises(Exception, match="ThrottlingException"):
            client.get_parameter(Name=FIRST)
        assert proxy.total == 3


class Init(containers.DeclarativeContainer):
    """What a handler prefetches at init."""

    ssm = providers.Dependency()
    first = SSMParameter(FIRST, client=ssm)
    second = SSMParameter(SECOND, client=ssm)


class TestPrefetch:
    """`prefetch` never holds init past its bound."""

    def test_prefetch_returns_within_its_bound(self, ssm: Any, proxy: FaultProxy) -> None:
        """Under a lasting throttle prefetch returns in about its bound; first use fetches."""
        container = Init(ssm=library_client(proxy, "ssm"))
        proxy.mode = Fault.THROTTLE
        began = time.monotonic()
        failures = prefetch(container, throttle_wait_in_seconds=1.0)
        assert time.monotonic() - began < 2.5
        assert sorted(failures) == ["first", "second"]
        assert all(getattr(error, "throttled", False) for error in failures.values())
        proxy.clear()
        assert (container.first(), container.second()) == ("VALUE-first", "VALUE-second")


class TestServices:
    """Secrets Manager's and S3's throttling."""

    def test_secret_waits_through_throttling(
        self, direct: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """A throttled GetSecretValue is waited through: the value, two throttled requests."""
        direct("secretsmanager", read_timeout=30).create_secret(
            Name="burst/secret", SecretString="VALUE-secret"
        )
        clock = FakeClock()
        provider = Secret(
            "burst/secret", client=library_client(proxy, "secretsmanager"), clock=clock
        )
        proxy.queue(Fault.THROTTLE, Fault.THROTTLE)
        assert provider() == "VALUE-secret"
        assert provider.stats.throttled == 2
        assert proxy.counts == {"secretsmanager.GetSecretValue": 3}

    def test_s3_slow_down_is_throttling(
        self, direct: Callable[..., Any], proxy: FaultProxy, tmp_path: Any
    ) -> None:
        """S3's 503 SlowDown is waited through on a first download and served stale after."""
        s3 = direct("s3", read_timeout=30)
        s3.create_bucket(Bucket="burst-bucket")
        s3.put_object(Bucket="burst-bucket", Key="model.json", Body=b"VALUE-model")
        clock = FakeClock()
        provider = S3File(
            "s3://burst-bucket/model.json",
            client=library_client(proxy, "s3"),
            clock=clock,
            local_path=tmp_path / "model.json",
        )
        proxy.queue(Fault.THROTTLE)
        assert provider().read_bytes() == b"VALUE-model"
        assert provider.stats.throttled == 1
        clock.tick(61)
        proxy.mode = Fault.THROTTLE
        assert provider().read_bytes() == b"VALUE-model"
        assert (provider.stats.stale, provider.stats.throttled) == (1, 2)


class TestSecretsQuota:
    """Secrets Manager: batches while their quota answers, single calls when it throttles."""

    IDS = ("quota/alpha", "quota/beta", "quota/gamma")

    def test_throttled_batch_falls_back_to_single_calls(
        self, direct: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """A throttled batch is read at once by GetSecretValue calls; the next sends no batch."""
        setup = direct("secretsmanager", read_timeout=30)
        for name in self.IDS:
            setup.create_secret(Name=name, SecretString=f"VALUE-{name}")
        provider = Secrets(list(self.IDS), client=library_client(proxy, "secretsmanager"))
        expected = {name.rsplit("/", 1)[-1]: f"VALUE-{name}" for name in self.IDS}
        assert provider() == expected
        assert proxy.counts == {"secretsmanager.BatchGetSecretValue": 1}
        proxy.reset_counts()
        proxy.queue(Fault.THROTTLE)
        assert provider.refresh() == expected
        assert proxy.counts == {
            "secretsmanager.BatchGetSecretValue": 1,
            "secretsmanager.GetSecretValue": 3,
        }
        proxy.reset_counts()
        assert provider.refresh() == expected
        assert proxy.counts == {"secretsmanager.GetSecretValue": 3}
