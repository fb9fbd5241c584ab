"""A throttled group of several calls over HTTP: an `SSMParameters` of twelve names
(two GetParameters calls) behind the proxy's token bucket, with real boto3 clients.

What `tests/unit/test_throttle_pacing.py` shows with fake clients, here as AWS
answers: a call answered is never sent again by the tries that follow, the
error says how far the fetch got, and a fetch with nothing answered makes its
last try before its wait ends (docs/throttling.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lambda_cache_di import FetchError, SSMParameters
from lambda_cache_di.core.pacing import (
    THROTTLE_FINISHING_PAUSE_SECONDS,
    THROTTLE_FINISHING_WINDOW_SECONDS,
)
from lambda_cache_di.testing import FakeClock

from .proxy import Fault, FaultProxy, TokenBucket

NAMES = [f"/throttled-group/p{number:02}" for number in range(12)]
GET_PARAMETERS = "AmazonSSM.GetParameters"


@pytest.fixture
def group_client(direct: Callable[[str], Any], proxied: Callable[..., Any]) -> Any:
    """A client through the proxy, once the twelve parameters exist."""
    ssm = direct("ssm")
    for name in NAMES:
        ssm.put_parameter(Name=name, Value=f"value-{name}", Type="SecureString")
    return proxied("ssm")


def expected() -> dict[str, str]:
    return {name.rsplit("/", 1)[1]: f"value-{name}" for name in NAMES}


def served_and_throttled(proxy: FaultProxy) -> tuple[int, int]:
    assert {exchange.operation for exchange in proxy.exchanges} == {GET_PARAMETERS}
    throttled = sum(exchange.fault is Fault.THROTTLE for exchange in proxy.exchanges)
    return proxy.total - throttled, throttled


def out_of_time(group_client: Any, proxy: FaultProxy, refuse: Callable[[], None]) -> Any:
    """A group with a 3 s wait on a fake clock, refused as `refuse()` sets the proxy.

    Its error, how long it waited, and the group.
    """
    clock = FakeClock()
    group = SSMParameters(NAMES, client=group_client, clock=clock, throttle_wait_in_seconds=3)
    proxy.reset_counts()
    refuse()
    began = clock()
    with pytest.raises(FetchError) as caught:
        group()
    return caught.value, clock() - began, group


def test_a_partly_served_group_finishes_without_sending_the_answered_call_again(
    group_client: Any, proxy: FaultProxy
) -> None:
    """One token at first, then one every two seconds: the first try gets one call of two."""
    group = SSMParameters(NAMES, client=group_client)
    proxy.reset_counts()
    proxy.bucket = TokenBucket(rate=0.5, burst=1.0)
    assert group() == expected()
    served, throttled = served_and_throttled(proxy)
    assert served == 2  # each call answered once: the kept one was not sent again
    assert throttled >= 1
    assert group.stats.throttled == throttled  # one call a try once it was throttled


def test_out_of_time_it_says_how_far_it_got_and_the_next_call_sends_only_the_rest(
    group_client: Any, proxy: FaultProxy
) -> None:
    """One token, never another: the wait runs out holding one call of two."""

    def one_token() -> None:
        proxy.bucket = TokenBucket(rate=0.0, burst=1.0)

    error, waited, group = out_of_time(group_client, proxy, one_token)
    assert (error.throttled, error.in_parts, error.partly_served) == (True, True, True)
    assert "value-" not in str(error)
    # A partly served fetch tries until its wait ends, coming back within half a second.
    assert waited == pytest.approx(3.0)
    served, throttled = served_and_throttled(proxy)
    assert served == 1
    assert throttled >= 3 / THROTTLE_FINISHING_PAUSE_SECONDS

    proxy.bucket = None
    proxy.reset_counts()
    assert group() == expected()
    assert served_and_throttled(proxy) == (1, 0)  # only the call that was refused


def test_with_nothing_answered_its_last_try_comes_before_its_wait_ends(
    group_client: Any, proxy: FaultProxy
) -> None:
    """Every request refused: the group gives up `THROTTLE_FINISHING_WINDOW_SECONDS` early."""

    def every_request() -> None:
        proxy.mode = Fault.THROTTLE

    error, waited, group = out_of_time(group_client, proxy, every_request)
    assert (error.throttled, error.in_parts, error.partly_served) == (True, True, False)
    assert waited == pytest.approx(3.0 - THROTTLE_FINISHING_WINDOW_SECONDS)
    served, throttled = served_and_throttled(proxy)
    assert served == 0
    # The first try sends both calls; the tries after it, one call each.
    assert throttled == group.stats.throttled + 1
