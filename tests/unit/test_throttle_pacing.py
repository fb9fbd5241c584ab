"""How long a throttled fetch with nothing in hand pauses between tries.

Pauses grow with the throttled tries since the last value (prefetch's tries
count on at first use); a fetch that already holds part of its answer comes
back within `THROTTLE_FINISHING_PAUSE_SECONDS`, and a fetch of several calls
with none answered makes its last try `THROTTLE_FINISHING_WINDOW_SECONDS`
before its wait ends, so the quota spent on a call is not lost when the wait
runs out.
"""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import FetchError, SSMParameter, SSMParameters, prefetch
from lambda_cache_di.core.cache import CacheEntry
from lambda_cache_di.core.pacing import (
    DEFAULT_THROTTLE_WAIT_SECONDS,
    THROTTLE_FINISHING_PAUSE_SECONDS,
    THROTTLE_FINISHING_WINDOW_SECONDS,
    backoff_window,
    last_try,
    throttle_pause,
)
from lambda_cache_di.prefetch import DEFAULT_PREFETCH_THROTTLE_WAIT_SECONDS
from lambda_cache_di.testing import FakeClock

from .test_throttled_groups import NAMES, RefusesTheFirst, ThrottlesTheSecondCall


class SleepLog(FakeClock):
    """A fake clock that writes down every pause the library takes."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        super().sleep(seconds)


class TestThePauseFormula:
    def test_pauses_double_from_two_seconds_up_to_eight(self) -> None:
        assert [throttle_pause(n, 1.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 8.0, 8.0]

    def test_the_draw_scales_the_whole_window(self) -> None:
        assert throttle_pause(3, 0.25) == 2.0
        assert throttle_pause(1, 0.0) == 0.0

    def test_a_partly_served_fetch_comes_back_within_half_a_second(self) -> None:
        assert throttle_pause(6, 1.0, partly_served=True) == THROTTLE_FINISHING_PAUSE_SECONDS == 0.5
        assert throttle_pause(6, 1.0, partly_served=True, left=30.0) == 0.5

    def test_near_the_end_of_its_wait_within_half_of_what_is_left(self) -> None:
        assert throttle_pause(6, 1.0, partly_served=True, left=0.6) == pytest.approx(0.3)
        assert throttle_pause(6, 0.5, partly_served=True, left=0.6) == pytest.approx(0.15)
        # Within the finishing window the pauses shrink no further: the wait ends in a
        # few tries, however fast each one is answered.
        assert THROTTLE_FINISHING_WINDOW_SECONDS == 0.2
        assert throttle_pause(6, 1.0, partly_served=True, left=0.05) == pytest.approx(0.1)

    def test_what_is_left_changes_nothing_for_a_fetch_holding_nothing(self) -> None:
        assert throttle_pause(3, 1.0, left=0.5) == 8.0

    def test_init_and_first_use_together_stay_within_api_gateways_29_seconds(self) -> None:
        """The reason for the defaults (docs/throttling.md): 4 s at init, 24 s at first use."""
        assert DEFAULT_PREFETCH_THROTTLE_WAIT_SECONDS + DEFAULT_THROTTLE_WAIT_SECONDS < 29.0


class TestTheBackoffWindow:
    def test_one_failure_opens_no_window_and_draws_nothing(self) -> None:
        """The first failure is tried again at the next call; the rng is not touched."""
        draws: list[float] = []

        def rng() -> float:
            draws.append(0.5)
            return 0.5

        assert backoff_window(1, False, 5.0, rng) is None
        assert draws == []

    def test_a_throttled_failure_opens_one_at_once(self) -> None:
        """Throttled: 1 s (stretched by up to a quarter) from the first failure."""
        assert backoff_window(1, True, 5.0, lambda: 0.0) == 1.0
        assert backoff_window(1, True, 5.0, lambda: 1.0) == 1.25

    def test_windows_double_up_to_the_cap_then_shrink_by_up_to_a_fifth(self) -> None:
        """2, 3 and 4 failures: 1 s, 2 s, 4 s; past a 5 s cap, 5 s less a fifth of the draw."""
        windows = [backoff_window(n, False, 5.0, lambda: 0.0) for n in (2, 3, 4, 5)]
        assert windows == [1.0, 2.0, 4.0, 5.0]
        assert backoff_window(5, False, 5.0, lambda: 0.5) == pytest.approx(4.5)


class TestTheLastTry:
    def test_a_fetch_of_one_call_tries_until_its_wait_ends(self) -> None:
        """No wait stays no wait; a single call's last try is at the end of its wait."""
        assert last_try(None, True, False) is None
        assert last_try(10.0, False, False) == 10.0

    def test_a_group_with_nothing_answered_stops_a_little_early(self) -> None:
        """In parts with none answered: `THROTTLE_FINISHING_WINDOW_SECONDS` before the end."""
        assert last_try(10.0, True, False) == pytest.approx(
            10.0 - THROTTLE_FINISHING_WINDOW_SECONDS
        )

    def test_a_partly_served_group_tries_until_the_end(self) -> None:
        """Some calls answered: the tokens spent become a value only if it keeps trying."""
        assert last_try(10.0, True, True) == 10.0


class TestTriesCountAcrossCalls:
    def test_first_use_goes_on_from_the_tries_of_init(self) -> None:
        """A fetch that waited through prefetch does not start again at the shortest pause."""
        clock = SleepLog()
        refusals = iter(range(4))

        def fetch() -> str:
            if next(refusals, None) is not None:
                raise FetchError("GetParameter: Rate exceeded", throttled=True)
            return "value"

        entry: CacheEntry[str] = CacheEntry(fetch, max_age=60, clock=clock, rng=lambda: 0.5)
        with pytest.raises(FetchError):
            # A prefetch bound of 2.5 s: a pause of 1 s, then 1.5 s of a 2 s one, then it gives up.
            entry.refresh(force=False, wait=2.5)
        assert clock.pauses == [1.0, 1.5]
        clock.pauses.clear()
        assert entry.get() == "value"
        # The fourth throttled try of the streak: a window of 8 s drawn at half, not 2 s.
        assert clock.pauses == [4.0]
        assert entry.stats.throttled == 4

    def test_a_stored_value_ends_the_streak(self) -> None:
        clock = SleepLog()
        refusals = [1]

        def fetch() -> str:
            if refusals and refusals.pop():
                raise FetchError("Rate exceeded", throttled=True)
            return "value"

        entry: CacheEntry[str] = CacheEntry(fetch, max_age=60, clock=clock, rng=lambda: 0.5)
        entry.get()
        entry.invalidate()
        refusals.append(1)
        entry.get()
        assert clock.pauses == [1.0, 1.0]  # the first try's window both times


class TestPartlyServedFetches:
    def test_the_retry_of_a_partly_served_group_comes_back_within_half_a_second(self) -> None:
        random.seed(7)
        clock = SleepLog()
        client = ThrottlesTheSecondCall(times=12)
        group = SSMParameters(NAMES, client=client, clock=clock)
        assert len(group()) == len(NAMES)
        assert len(clock.pauses) == 12
        assert max(clock.pauses) <= THROTTLE_FINISHING_PAUSE_SECONDS

    def test_a_group_with_nothing_answered_backs_off_as_any_fetch(self) -> None:
        random.seed(7)
        clock = SleepLog()
        client = RefusesTheFirst(times=12)  # both calls of the first try, then one a try
        group = SSMParameters(NAMES, client=client, clock=clock, throttle_wait_in_seconds=600)
        assert len(group()) == len(NAMES)
        assert len(clock.pauses) == 11
        assert max(clock.pauses) > 2 * THROTTLE_FINISHING_PAUSE_SECONDS

    def test_the_error_says_partly_served_and_never_holds_a_value(self) -> None:
        clock = FakeClock()
        client = ThrottlesTheSecondCall(times=10**6)
        group = SSMParameters(NAMES, client=client, clock=clock, throttle_wait_in_seconds=3)
        with pytest.raises(FetchError) as caught:
            group()
        assert caught.value.throttled and caught.value.partly_served
        assert "v-/app" not in str(caught.value)


def slowly_made(client: Any) -> Any:
    """A client provider that takes 300 ms of real time, as making a boto3 client can."""

    def make() -> Any:
        time.sleep(0.3)
        return client

    return providers.Callable(make)


class TestPrefetchBoundOnTheProvidersClock:
    """prefetch's bound counts on the providers' clock, as their waits do: a fake clock
    (a test, the fleet benchmark) controls it, whatever real time passes meanwhile."""

    @pytest.mark.parametrize("kind", ["batched SSMParameter", "SSMParameters"])
    def test_real_time_spent_does_not_shorten_a_fake_clocks_bound(self, kind: str) -> None:
        random.seed(3)
        client = RefusesTheFirst(times=10**6)
        clock = SleepLog()
        made = slowly_made(client)

        class Container(containers.DeclarativeContainer):
            value = (
                SSMParameter(NAMES[0], client=made, clock=clock)
                if kind == "batched SSMParameter"
                else SSMParameters(NAMES, client=made, clock=clock)
            )

        began = clock()
        failures = prefetch(Container(), throttle_wait_in_seconds=6)
        assert list(failures) == ["value"]
        assert getattr(failures["value"], "throttled", False)
        # The 300 ms of real time making the client took nothing from the fake 6 s
        # (of which a group of two calls leaves the last moments unused: nothing answered).
        finishing = THROTTLE_FINISHING_WINDOW_SECONDS if kind == "SSMParameters" else 0.0
        assert clock() - began == pytest.approx(6.0 - finishing, abs=1e-6)
        assert 2 <= len(client.calls) <= 12  # pauses of up to 2, 4 ... s: a few tries


class TriesLog(SleepLog):
    """A fetch function on a `SleepLog` clock, refused as told; it writes down when it ran."""

    def __init__(self, *, in_parts: bool, served_from: float = float("inf")) -> None:
        super().__init__()
        self.in_parts = in_parts
        self.served_from = served_from  # from then on, part of the answer is held
        self.began = self()
        self.tries: list[float] = []  # seconds since the log began

    def fetch(self) -> str:
        now = self() - self.began
        self.tries.append(now)
        raise FetchError(
            "GetParameters: Rate exceeded",
            throttled=True,
            in_parts=self.in_parts,
            partly_served=now >= self.served_from,
        )


class TestTheFinishingWindow:
    """The last moments of a wait belong to fetches of several calls that hold part of
    their answer: a call answered at the very end would otherwise be quota lost."""

    WAIT = 5.0

    def last_try(self, log: TriesLog) -> float:
        entry: CacheEntry[str] = CacheEntry(
            log.fetch, max_age=60, clock=log, rng=lambda: 0.9, throttle_wait=self.WAIT
        )
        with pytest.raises(FetchError):
            entry.get()
        assert log() - log.began == log.tries[-1]  # it gives up right after its last try
        return log.tries[-1]

    def test_a_fetch_in_parts_with_nothing_answered_stops_trying_before_its_wait_ends(
        self,
    ) -> None:
        log = TriesLog(in_parts=True)
        assert self.last_try(log) == pytest.approx(self.WAIT - THROTTLE_FINISHING_WINDOW_SECONDS)

    def test_a_partly_served_fetch_tries_until_its_wait_ends(self) -> None:
        log = TriesLog(in_parts=True, served_from=1.0)
        assert self.last_try(log) == pytest.approx(self.WAIT)
        late = [t for t in log.tries if t >= 1.0]
        assert len(late) >= 5  # it came back within the finishing pause, again and again
        for a, b in itertools.pairwise(late):
            # Within half a second, or half of what was left.
            left = max(self.WAIT - a, THROTTLE_FINISHING_WINDOW_SECONDS)
            assert b - a <= min(THROTTLE_FINISHING_PAUSE_SECONDS, left / 2) + 1e-9
        assert self.WAIT - late[-2] < THROTTLE_FINISHING_WINDOW_SECONDS  # tries close together

    def test_a_fetch_of_one_call_tries_until_its_wait_ends(self) -> None:
        log = TriesLog(in_parts=False)
        assert self.last_try(log) == pytest.approx(self.WAIT)

    @pytest.mark.parametrize(("names", "in_parts"), [(12, True), (10, False)])
    def test_an_ssm_group_says_whether_it_is_made_of_several_calls(
        self, names: int, in_parts: bool
    ) -> None:
        client = RefusesTheFirst(times=10**6)
        group = SSMParameters(
            NAMES[:names], client=client, clock=FakeClock(), throttle_wait_in_seconds=3
        )
        with pytest.raises(FetchError) as caught:
            group()
        assert caught.value.throttled and not caught.value.partly_served
        assert caught.value.in_parts is in_parts

    def test_a_partly_served_error_is_in_parts(self) -> None:
        assert FetchError("x", throttled=True, partly_served=True).in_parts
