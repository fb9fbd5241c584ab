"""A group of more than ten parameters, throttled: a retry sends only the calls that failed."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_cache_di import SSMParameters
from lambda_cache_di.testing import FakeClock

NAMES = [f"/app/p{i:02d}" for i in range(12)]  # two GetParameters calls: ten names, then two


def throttled() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "GetParameters",
    )


class ThrottlesTheSecondCall:
    """A fake SSM client whose call for the last two names is throttled `times` times."""

    meta = None

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls: list[list[str]] = []

    def refuses(self, names: list[str]) -> bool:
        return names == NAMES[10:]

    def get_parameters(self, Names: list[str], WithDecryption: bool) -> dict[str, Any]:
        self.calls.append(list(Names))
        if self.refuses(Names) and self.times > 0:
            self.times -= 1
            raise throttled()
        return {
            "Parameters": [{"Name": n, "Value": f"v-{n}", "Type": "String"} for n in Names],
            "InvalidParameters": [],
        }


class TestServedCallsAreKept:
    def test_the_retry_sends_only_the_throttled_call(self) -> None:
        """The first try's answered call (ten names) is not sent again by the throttle retry."""
        client = ThrottlesTheSecondCall(times=1)
        group = SSMParameters(NAMES, client=client, clock=FakeClock())
        values = group()
        assert values == {name.rsplit("/", 1)[1]: f"v-{name}" for name in NAMES}
        assert sorted(map(tuple, client.calls)) == sorted(
            [tuple(NAMES[:10]), tuple(NAMES[10:]), tuple(NAMES[10:])]
        )
        assert group.stats.throttled == 1

    def test_kept_values_expire_with_the_throttle_wait(self) -> None:
        """A refresh that gave up keeps nothing for a call made after the throttle wait."""
        clock = FakeClock()
        client = ThrottlesTheSecondCall(times=10**6)
        group = SSMParameters(NAMES, client=client, clock=clock, throttle_wait_in_seconds=5)
        try:
            group()
        except Exception as exc:
            assert getattr(exc, "throttled", False) is True
        else:
            raise AssertionError("a group throttled for good must fail")
        client.times = 0
        client.calls.clear()
        clock.tick(600)
        group()
        assert sorted(map(tuple, client.calls)) == sorted([tuple(NAMES[:10]), tuple(NAMES[10:])])


class RefusesTheFirst(ThrottlesTheSecondCall):
    """A fake SSM client that throttles its first `times` requests, whatever they ask."""

    def refuses(self, names: list[str]) -> bool:
        return True


class TestOneCallAtATimeWhileThrottled:
    def test_after_a_throttled_try_the_calls_go_one_at_a_time(self) -> None:
        """Try 1 sends both calls; the next tries send the first alone until it is answered,
        then the second at once, in the same try."""
        client = RefusesTheFirst(times=3)
        group = SSMParameters(NAMES, client=client, clock=FakeClock())
        assert len(group()) == len(NAMES)
        first_try, later = client.calls[:2], client.calls[2:]
        assert sorted(map(tuple, first_try)) == sorted([tuple(NAMES[:10]), tuple(NAMES[10:])])
        assert later == [NAMES[:10], NAMES[:10], NAMES[10:]]
        assert group.stats.throttled == 2  # two throttled tries

    @pytest.mark.parametrize(
        ("fake", "refusals"), [(ThrottlesTheSecondCall, 1), (RefusesTheFirst, 2)]
    )
    def test_the_next_refresh_asks_for_everything_again_at_once(
        self, fake: type[ThrottlesTheSecondCall], refusals: int
    ) -> None:
        """What a throttled refresh kept, and its calls one at a time, were that refresh's
        only: once it stored its value, the next refresh sends both calls at once."""
        clock = FakeClock()
        client = fake(times=refusals)
        group = SSMParameters(NAMES, client=client, clock=clock, max_age_in_seconds=60, jitter=0)
        group()
        client.calls.clear()
        clock.tick(61)
        group()
        assert sorted(map(tuple, client.calls)) == sorted([tuple(NAMES[:10]), tuple(NAMES[10:])])
        assert len(client.calls) == 2
