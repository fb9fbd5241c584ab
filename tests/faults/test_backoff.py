"""The back-off rule of the contract, against the fault proxy over real HTTP.

After a failure the next call fetches again; from the second failure in a row,
calls inside a window fail fast (or serve stale data) without a request,
chaining the last error; the window starts near 1 s and doubles, with up to a
quarter of jitter, up to the cap; one success resets it; refresh() ignores it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_cache_di import FetchError, NotFoundError, SSMParameter
from lambda_cache_di.testing import FakeClock

from .proxy import Fault, FaultProxy

NAME = "/backoff/value"
STEP = 0.05  # clock resolution of the window measurements, in seconds


@pytest.fixture
def ssm(direct: Callable[[str], Any]) -> Any:
    client = direct("ssm")
    client.put_parameter(Name=NAME, Value="VALUE-one", Type="String")
    return client


def provider_for(client: Any, clock: Any = time.monotonic, **options: Any) -> SSMParameter:
    return SSMParameter(NAME, client=client, clock=clock, max_age_in_seconds=60, **options)


def fail(provider: SSMParameter) -> FetchError | NotFoundError:
    with pytest.raises((FetchError, NotFoundError)) as caught:
        provider()
    return caught.value


def into_backoff(provider: SSMParameter, proxy: FaultProxy, fault: Fault) -> SSMParameter:
    """Set `fault` and fail twice: the provider is now inside a back-off window."""
    proxy.mode = fault
    fail(provider)
    fail(provider)
    return provider


def window_bounds(base: float, cap: float) -> tuple[float, float]:
    """Shortest and longest window: `base` plus up to 25%, or 80-100% of `cap` beyond it."""
    return min(base, 0.8 * cap), min(base * 1.25, cap)


def measure_window(provider: SSMParameter, clock: FakeClock, proxy: FaultProxy) -> float:
    """Seconds from the failure just seen until a call makes a request again (that one fails)."""
    before, started = proxy.total, clock.now
    while proxy.total == before:
        clock.tick(STEP)
        fail(provider)
    return clock.now - started


class TestWindow:
    """When calls fetch and when they fail fast."""

    def test_first_failure_is_retried_by_the_next_call(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """Right after one failure the next call makes a request of its own."""
        provider = provider_for(proxied("ssm"), FakeClock())
        proxy.mode = Fault.HTTP_503
        fail(provider)
        assert proxy.total == 1
        fail(provider)
        assert proxy.total == 2

    def test_second_failure_fails_fast_chaining_the_last_error(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """After two failures, calls for the next second make no request and chain the second."""
        clock = FakeClock()
        provider = provider_for(proxied("ssm"), clock)
        proxy.mode = Fault.HTTP_503
        fail(provider)
        second = fail(provider)
        fast = []
        for _ in range(19):
            clock.tick(STEP)
            fast.append(fail(provider))
        assert proxy.total == 2
        assert all(error.__cause__ is second for error in fast)
        assert isinstance(second.__cause__, ClientError)
        assert second.__cause__.response["Error"]["Code"] == "ServiceUnavailable"
        assert [type(error) for error in fast] == [FetchError] * 19
        # The window is 1 s plus up to 25% of jitter, 0.05 s of which have passed.
        assert re.fullmatch(
            rf"GetParameter failed for {NAME}: ServiceUnavailable "
            r"\(backing off for (0\.9|1\.[0-2])s\)",
            str(fast[0]),
        )
        assert all(isinstance(e, FetchError) and e.transient for e in fast)

    def test_not_found_fails_fast_as_not_found(
        self, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """A missing parameter backs off too, and the fast failure still names it."""
        clock = FakeClock()
        provider = provider_for(proxied("ssm"), clock)
        fail(provider)
        second = fail(provider)
        clock.tick(0.5)
        third = fail(provider)
        assert proxy.total == 2
        assert isinstance(third, NotFoundError)
        assert third.names == (NAME,)
        assert third.__cause__ is second

    def test_windows_grow_from_one_second_to_the_default_cap(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """Windows double from 1 s, plus up to 25%; one past the 5 s cap lasts 4 to 5 s."""
        clock = FakeClock()
        provider = into_backoff(provider_for(proxied("ssm"), clock), proxy, Fault.HTTP_500)
        windows = [measure_window(provider, clock, proxy) for _ in range(6)]
        for window, base in zip(windows, [1, 2, 4, 8, 16, 32], strict=True):
            low, high = window_bounds(base, cap=5.0)
            assert low - 1e-9 <= window <= high + STEP
        assert proxy.total == 8

    def test_cap_is_configurable(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """`backoff_cap_in_seconds=2` keeps every later window between 1.6 and 2 s."""
        clock = FakeClock()
        provider = into_backoff(
            provider_for(proxied("ssm"), clock, backoff_cap_in_seconds=2), proxy, Fault.RESET
        )
        windows = [measure_window(provider, clock, proxy) for _ in range(4)]
        assert 1.0 - 1e-9 <= windows[0] <= 1.25 + STEP
        assert all(1.6 - 1e-9 <= window <= 2.0 + STEP for window in windows[1:])

    def test_stale_value_is_served_during_the_window_without_requests(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """Inside the stale window, every call of a back-off window gets the old value."""
        clock = FakeClock()
        provider = provider_for(proxied("ssm"), clock, stale_if_error_in_seconds=300)
        assert provider() == "VALUE-one"
        clock.tick(61)
        proxy.reset_counts()
        proxy.mode = Fault.HTTP_503
        assert [provider() for _ in range(10)] == ["VALUE-one"] * 10
        assert proxy.total == 2
        assert (provider.stats.errors, provider.stats.stale) == (2, 10)


class TestReset:
    """Success and refresh() against the window."""

    def test_one_success_resets_the_window(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """After a success, a new failure is retried by the very next call."""
        clock = FakeClock()
        provider = into_backoff(provider_for(proxied("ssm"), clock), proxy, Fault.HTTP_500)
        clock.tick(1.25 + STEP)
        proxy.clear()
        assert provider() == "VALUE-one"
        clock.tick(61)
        proxy.reset_counts()
        into_backoff(provider, proxy, Fault.HTTP_500)
        assert proxy.total == 2

    def test_refresh_ignores_the_window(
        self, ssm: Any, proxied: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """refresh() inside a window makes a request: a failure raises, a success resets."""
        clock = FakeClock()
        provider = into_backoff(provider_for(proxied("ssm"), clock), proxy, Fault.HTTP_500)
        with pytest.raises(FetchError) as caught:
            provider.refresh()
        assert isinstance(caught.value.__cause__, ClientError)
        assert proxy.total == 3
        proxy.clear()
        ssm.put_parameter(Name=NAME, Value="VALUE-two", Type="String", Overwrite=True)
        assert provider.refresh() == "VALUE-two"
        assert provider() == "VALUE-two"
        assert proxy.total == 4


class TestRealTime:
    """The default clock and botocore's own retries, in real time."""

    def test_one_second_of_calls_every_10_ms_makes_at_most_5_requests(
        self, ssm: Any, aws_client: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """Two calls of two attempts each reach a failing API; every later call fails fast."""
        provider = provider_for(aws_client("ssm", endpoint_url=proxy.url))
        proxy.mode = Fault.HTTP_503
        errors: list[BaseException] = []
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                provider()
            except FetchError as exc:
                errors.append(exc)
            time.sleep(0.01)
        assert proxy.total == 4
        assert proxy.counts == {"AmazonSSM.GetParameter": 4}
        assert len(errors) >= 50
        assert all(error.__cause__ is errors[1] for error in errors[2:])
        assert "reached max retries: 1" in str(errors[1].__cause__)
