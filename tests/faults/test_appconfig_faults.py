"""AppConfig behind the fault proxy: failures are typed, stale values served, sessions recover."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from lambda_cache_di import AppConfig, FetchError
from lambda_cache_di.fetchers.clients import lambda_config
from lambda_cache_di.testing import FakeClock
from lambda_cache_di.testing.appconfig import FakeAppConfigData

from .proxy import Fault, FaultProxy
from .specs import CONNECT_TIMEOUT, ONE_ATTEMPT, READ_TIMEOUT

START = "StartConfigurationSession"
GET = "GetLatestConfiguration"
DOCUMENT = {"limit": "VALUE-kept-out-of-errors"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeAppConfigData]:
    with FakeAppConfigData(clock=clock) as server:
        server.set_configuration("orders", "prod", "flags", json.dumps(DOCUMENT))
        yield server


@pytest.fixture
def proxy(fake: FakeAppConfigData) -> Iterator[FaultProxy]:
    with FaultProxy(fake.endpoint, delay_seconds=2 * READ_TIMEOUT) as server:
        yield server


@pytest.fixture
def provider(proxy: FaultProxy, clock: FakeClock) -> AppConfig:
    """max age 60 s, ten minutes stale-if-error, one attempt per request."""
    client = boto3.client(
        "appconfigdata",
        region_name="us-east-1",
        endpoint_url=proxy.url,
        config=lambda_config(
            retries=ONE_ATTEMPT, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT
        ),
    )
    return AppConfig(
        "orders", "prod", "flags", client=client, clock=clock, stale_if_error_in_seconds=600
    )


FAULTS = [Fault.HTTP_500, Fault.HTTP_503, Fault.THROTTLE, Fault.RESET, Fault.DELAY, Fault.TRUNCATE]


@pytest.mark.parametrize("fault", FAULTS)
def test_cold_failure_is_a_transient_fetch_error_without_the_value(proxy, provider, fault):
    """A fault on the first poll raises a transient FetchError that holds no value."""
    proxy.queue(Fault.CLEAR, fault)  # the session starts, the poll fails
    with pytest.raises(FetchError) as caught:
        provider()
    assert caught.value.transient is True
    assert str(caught.value).startswith("GetLatestConfiguration failed for orders/prod/flags: ")
    assert "VALUE-" not in str(caught.value)


@pytest.mark.parametrize("fault", FAULTS)
def test_warm_failure_serves_the_stale_value_then_recovers(proxy, provider, clock, fake, fault):
    """A failed poll serves the last value; the next poll (a new session) brings the new one."""
    assert provider() == DOCUMENT
    # A new version, so that the failed poll has a body to cut short.
    fake.set_configuration("orders", "prod", "flags", '{"limit": 2}')
    clock.tick(60)
    proxy.queue(fault)
    assert provider() == DOCUMENT
    assert provider.stats.stale == 1
    clock.tick(2)  # past the back-off's first second: the next call polls
    assert provider() == {"limit": 2}
    # The failed poll spent its token: the recovery starts a second session.
    assert fake.requests[START] == 2


def test_failed_session_start_is_retried_on_the_next_call(proxy, provider, fake):
    """A 500 on StartConfigurationSession leaves no half session: the next call starts one."""
    proxy.queue(Fault.HTTP_500)
    with pytest.raises(FetchError):
        provider()
    assert provider() == DOCUMENT
    assert proxy.counts["POST /configurationsessions"] == 2  # the proxy answered the first
    assert fake.requests == {START: 1, GET: 1}
