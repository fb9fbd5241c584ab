"""The cache core: TTL, single flight, refresh, invalidate, stale-if-error, back-off, stats."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from lambda_cache_di.core.cache import CacheEntry
from lambda_cache_di.errors import FetchError, NotFoundError, TransformError
from lambda_cache_di.testing import FakeClock


class Source:
    """A fetch function that returns queued outcomes and counts its calls."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def throttled() -> FetchError:
    return FetchError("GetParameter failed for /x: ThrottlingException", transient=True)


def denied() -> FetchError:
    return FetchError("GetParameter failed for /x: AccessDeniedException", transient=False)


def entry(source: Source, clock: FakeClock, **options: float) -> CacheEntry[object]:
    options.setdefault("max_age", 60)
    return CacheEntry(source, clock=clock, rng=lambda: 0.0, **options)


class TestExpiry:
    """Values live exactly max_age seconds of clock time."""

    def test_fresh_value_is_served_without_fetching(self):
        """Calls before max_age elapses reuse the first value."""
        clock, source = FakeClock(), Source("a", "b")
        cache = entry(source, clock)
        assert cache.get() == "a"
        clock.tick(59.999)
        assert cache.get() == "a"
        assert source.calls == 1

    def test_expired_value_is_fetched_again(self):
        """At max_age the next call fetches."""
        clock, source = FakeClock(), Source("a", "b")
        cache = entry(source, clock)
        cache.get()
        clock.tick(60)
        assert cache.get() == "b"
        assert cache.stats.hits == 0
        assert cache.stats.misses == 2

    def test_max_age_zero_fetches_every_call(self):
        """max_age 0 means no caching at all."""
        clock, source = FakeClock(), Source("a", "b", "c")
        cache = entry(source, clock, max_age=0)
        assert [cache.get(), cache.get(), cache.get()] == ["a", "b", "c"]

    def test_age_is_reported(self):
        """`age` is None before the first fetch, then the seconds since it."""
        clock = FakeClock()
        cache = entry(Source("a"), clock)
        assert cache.age is None
        cache.get()
        clock.tick(12.5)
        assert cache.age == 12.5

    def test_jitter_only_shortens_the_age(self):
        """With jitter 0.5 and the largest draw, a 60 s value lives 30 s."""
        clock, source = FakeClock(), Source("a", "b")
        cache = CacheEntry(source, max_age=60, jitter=0.5, clock=clock, rng=lambda: 1.0)
        cache.get()
        clock.tick(29.9)
        assert cache.get() == "a"
        clock.tick(0.1)
        assert cache.get() == "b"


class TestFreshnessAndAge:
    """`fresh` (for prefetch) and a max age set after construction (for resolved ages)."""

    def test_fresh(self):
        """Fresh only while a value is cached and younger than max_age."""
        clock, source = FakeClock(), Source("a")
        cache = entry(source, clock)
        assert cache.fresh is False
        cache.get()
        assert cache.fresh is True
        clock.tick(60)
        assert cache.fresh is False

    def test_max_age_set_later(self):
        """A max age set before the first fetch is the one the value lives by."""
        clock, source = FakeClock(), Source("a", "b")
        cache = entry(source, clock)
        cache.max_age = 10
        assert cache.max_age == 10
        cache.get()
        clock.tick(10)
        assert cache.get() == "b"
        assert source.calls == 2


class TestControls:
    """refresh, invalidate and put."""

    def test_refresh_fetches_even_when_fresh(self):
        """refresh() returns and stores a new value."""
        clock, source = FakeClock(), Source("a", "b")
        cache = entry(source, clock)
        cache.get()
        assert cache.refresh() == "b"
        assert cache.get() == "b"
        assert source.calls == 2

    def test_failed_refresh_keeps_the_old_value(self):
        """A refresh that fails raises and leaves the cached value in place."""
        clock, source = FakeClock(), Source("a", denied(), "c")
        cache = entry(source, clock)
        cache.get()
        with pytest.raises(FetchError):
            cache.refresh()
        assert cache.get() == "a"

    def test_invalidate_forgets_the_value(self):
        """After invalidate() the next call fetches."""
        clock, source = FakeClock(), Source("a", "b")
        cache = entry(source, clock)
        cache.get()
        cache.invalidate()
        assert cache.age is None
        assert cache.get() == "b"

    def test_put_stores_a_value_as_if_fetched(self):
        """A value put by a prefetch is served as a hit."""
        clock, source = FakeClock(), Source("fetched")
        cache = entry(source, clock)
        cache.put("prefetched")
        assert cache.get() == "prefetched"
        assert source.calls == 0

    def test_changing_the_clock_keeps_the_age(self):
        """A value 10 s old on the old clock is 10 s old on the new one and expires 50 s later."""
        clock, source = FakeClock(), Source("a", "b")
        cache = entry(source, clock)
        cache.get()
        clock.tick(10)
        new_clock = FakeClock(0)
        cache.clock = new_clock
        assert cache.age == 10
        new_clock.tick(49.9)
        assert cache.get() == "a"
        new_clock.tick(0.1)
        assert cache.get() == "b"


class TestFailures:
    """Failures are never cached; stale-if-error and back-off."""

    def test_failure_is_not_cached(self):
        """After a failed fetch the next call fetches again."""
        clock, source = FakeClock(), Source(throttled(), "a")
        cache = entry(source, clock)
        with pytest.raises(FetchError):
            cache.get()
        assert cache.get() == "a"
        assert (cache.stats.errors, cache.stats.misses) == (1, 2)

    def test_expired_value_with_transient_error_and_no_stale_window_raises(self):
        """By default an expired value is never served after a failed refresh."""
        clock, source = FakeClock(), Source("a", throttled())
        cache = entry(source, clock)
        cache.get()
        clock.tick(60)
        with pytest.raises(FetchError):
            cache.get()

    def test_stale_value_served_within_window(self):
        """A transient failure inside max_age + stale_if_error returns the last good value."""
        clock, source = FakeClock(), Source("a", throttled())
        cache = entry(source, clock, stale_if_error=30)
        cache.get()
        clock.tick(89.9)
        assert cache.get() == "a"
        assert cache.stats.stale == 1

    def test_stale_value_not_served_beyond_window(self):
        """Beyond max_age + stale_if_error the failure reaches the caller."""
        clock, source = FakeClock(), Source("a", throttled())
        cache = entry(source, clock, stale_if_error=30)
        cache.get()
        clock.tick(90)
        with pytest.raises(FetchError):
            cache.get()

    def test_permanent_errors_are_never_answered_with_stale_data(self):
        """Access denied and not found pass through even inside the stale window."""
        for error in (denied(), NotFoundError(["/x"])):
            clock, source = FakeClock(), Source("a", error)
            cache = entry(source, clock, stale_if_error=30)
            cache.get()
            clock.tick(61)
            with pytest.raises(type(error)):
                cache.get()

    def test_second_failure_opens_a_backoff_window(self):
        """The call after one failure retries; after two, calls fail fast for about 1 s."""
        clock, source = FakeClock(), Source(throttled())
        cache = entry(source, clock)
        for _ in range(2):
            with pytest.raises(FetchError):
                cache.get()
        assert source.calls == 2
        with pytest.raises(FetchError, match="backing off") as caught:
            cache.get()
        assert source.calls == 2
        assert caught.value.__cause__ is not None
        assert caught.value.transient is True
        clock.tick(1.0)
        with pytest.raises(FetchError):
            cache.get()
        assert source.calls == 3

    def test_backoff_grows_to_the_cap(self):
        """Windows double from 1 s and stop at the cap."""
        clock, source = FakeClock(), Source(throttled())
        cache = entry(source, clock, backoff_cap=3)
        windows = []
        for _ in range(5):
            with pytest.raises(FetchError):
                cache.get()
            started = clock.now
            while source.calls == len(windows) + 1 and clock.now - started < 10:
                clock.tick(0.25)
                with contextlib.suppress(FetchError):
                    cache.get()
            windows.append(clock.now - started)
        assert windows[1:] == [1.0, 2.0, 3.0, 3.0]

    def test_backoff_repeats_not_found_as_not_found(self):
        """During back-off a missing name is still reported with its names."""
        clock, source = FakeClock(), Source(NotFoundError(["/a", "/b"]))
        cache = entry(source, clock)
        for _ in range(2):
            with pytest.raises(NotFoundError):
                cache.get()
        with pytest.raises(NotFoundError) as caught:
            cache.get()
        assert caught.value.names == ("/a", "/b")
        assert source.calls == 2

    def test_backoff_serves_stale_within_window(self):
        """A value still inside its stale window is served during back-off."""
        clock, source = FakeClock(), Source("a", throttled())
        cache = entry(source, clock, stale_if_error=600)
        cache.get()
        clock.tick(61)
        assert [cache.get(), cache.get(), cache.get()] == ["a", "a", "a"]
        assert source.calls == 3

    def test_success_resets_backoff(self):
        """One success closes the window: the next failure is retried at once."""
        clock, source = FakeClock(), Source(throttled(), throttled(), "a", throttled(), "b")
        cache = entry(source, clock, max_age=0)
        for _ in range(2):
            with pytest.raises(FetchError):
                cache.get()
        clock.tick(1.0)
        assert cache.get() == "a"
        with pytest.raises(FetchError):
            cache.get()
        assert cache.get() == "b"

    def test_refresh_ignores_backoff(self):
        """refresh() fetches even inside a back-off window."""
        clock, source = FakeClock(), Source(throttled(), throttled(), "a")
        cache = entry(source, clock)
        for _ in range(2):
            with pytest.raises(FetchError):
                cache.get()
        assert cache.refresh() == "a"

    def test_foreign_exception_is_named_by_type_only_in_backoff(self):
        """A bug in a fetch function is repeated without its message."""
        clock, source = FakeClock(), Source(KeyError("secret-value"))
        cache = entry(source, clock)
        for _ in range(2):
            with pytest.raises(KeyError):
                cache.get()
        with pytest.raises(FetchError) as caught:
            cache.get()
        assert "secret-value" not in str(caught.value)
        assert "KeyError" in str(caught.value)

    def test_transform_error_is_repeated_as_transform_error(self):
        """A value that cannot be parsed is reported as such during back-off."""
        clock, source = FakeClock(), Source(TransformError("secret /x is not JSON"))
        cache = entry(source, clock)
        for _ in range(3):
            with pytest.raises(TransformError):
                cache.get()
        assert source.calls == 2


def run_together(count: int, target, fetch_started: threading.Event, release: threading.Event):
    """Start `count` threads, let the first fetch begin, give the rest time to queue, release."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    assert fetch_started.wait(5)
    # The others now reach the lock; only ordering depends on this pause, not the result.
    time.sleep(0.1)
    release.set()
    for thread in threads:
        thread.join(5)


class TestThreads:
    """Single flight: one fetch however many threads find the value missing."""

    def test_sixteen_threads_one_fetch(self):
        """16 threads on a cold entry make exactly one fetch and all get its value."""
        started, release = threading.Event(), threading.Event()
        calls = []

        def slow_fetch() -> str:
            calls.append(1)
            started.set()
            release.wait(5)
            return "value"

        cache: CacheEntry[str] = CacheEntry(slow_fetch, max_age=60)
        results: list[str] = []
        run_together(16, lambda: results.append(cache.get()), started, release)
        assert results == ["value"] * 16
        assert len(calls) == 1
        assert cache.stats.misses == 1

    def test_waiting_threads_share_a_failure(self):
        """Threads waiting on a failed fetch get an error each and cause no second fetch."""
        started, release = threading.Event(), threading.Event()
        calls = []

        def failing_fetch() -> str:
            calls.append(1)
            started.set()
            release.wait(5)
            raise throttled()

        cache: CacheEntry[str] = CacheEntry(failing_fetch, max_age=60)
        errors: list[BaseException] = []

        def call() -> None:
            try:
                cache.get()
            except FetchError as exc:
                errors.append(exc)

        run_together(8, call, started, release)
        assert len(errors) == 8
        assert len(calls) == 1


class TestReviewFindings:
    """Edge cases found in review: invalidation while waiting, slow failures, jittered ages."""

    def test_waiter_after_invalidate_fetches_instead_of_returning_nothing(self):
        """A caller that queued before a fetch ended and an invalidate() followed gets a value."""
        clock, source = FakeClock(), Source("first", "second")
        cache = entry(source, clock)
        attempts_before = 0  # what a caller queued behind the first fetch had read
        assert cache.get() == "first"
        cache.invalidate()
        assert cache._get_slow(clock(), attempts_seen=attempts_before) == "second"
        assert source.calls == 2

    def test_waiter_shares_a_completed_fetch(self):
        """A caller that queued behind a successful fetch gets its value without fetching."""
        clock, source = FakeClock(), Source("first", "second")
        cache = entry(source, clock, max_age=0)
        assert cache.get() == "first"
        assert cache._get_slow(clock(), attempts_seen=0) == "first"
        assert source.calls == 1

    def test_backoff_window_opens_when_a_slow_failure_ends(self):
        """A failure that took 3 s backs off from its end, so the next call makes no request."""
        clock = FakeClock()
        calls = []

        def slow_failure() -> str:
            calls.append(1)
            clock.tick(3)
            raise throttled()

        cache: CacheEntry[str] = CacheEntry(slow_failure, max_age=60, clock=clock, rng=lambda: 0.0)
        for _ in range(2):
            with pytest.raises(FetchError):
                cache.get()
        with pytest.raises(FetchError, match="backing off"):
            cache.get()
        assert len(calls) == 2

    def test_stale_window_counts_from_the_full_max_age_despite_jitter(self):
        """With jitter the value expires early, but may be served stale until max age + window."""
        clock, source = FakeClock(), Source("a", throttled())
        cache = CacheEntry(
            source, max_age=60, stale_if_error=30, jitter=0.5, clock=clock, rng=lambda: 1.0
        )
        cache.get()
        clock.tick(70)
        assert cache.get() == "a"
        clock.tick(19.9)
        assert cache.get() == "a"
        clock.tick(0.1)
        with pytest.raises(FetchError):
            cache.get()

    def test_capped_backoff_windows_keep_their_jitter(self):
        """At the cap, windows are shortened by up to a fifth at random, never lengthened."""
        clock, source = FakeClock(), Source(throttled())
        cache = CacheEntry(source, max_age=60, backoff_cap=5, clock=clock, rng=lambda: 1.0)
        for _ in range(6):
            with pytest.raises(FetchError):
                cache.refresh()
        assert cache._retry_after - clock.now == pytest.approx(4.0)


def rate_exceeded() -> FetchError:
    return FetchError("GetParameter failed for /x: ThrottlingException", throttled=True)


class TestThrottling:
    """DESIGN.md 8.2 in the core: stale at once with a value in hand, bounded waits without."""

    def test_value_in_hand_is_served_at_once(self) -> None:
        """Up to one more max age past expiry a throttled refresh answers the value, no pause."""
        clock = FakeClock()
        source = Source("v1", rate_exceeded())
        cache = CacheEntry(source, max_age=60, clock=clock)
        cache.get()
        clock.tick(119)
        assert [cache.get(), cache.get()] == ["v1", "v1"]
        assert clock.now == 1119
        assert source.calls == 2
        assert (cache.stats.stale, cache.stats.throttled) == (2, 1)

    def test_nothing_in_hand_waits_with_full_jitter(self) -> None:
        """Pauses are rand x min(8, 2 x 2^n) on the clock's sleep; the value comes after them."""
        clock = FakeClock()
        source = Source(rate_exceeded(), rate_exceeded(), rate_exceeded(), rate_exceeded(), "v1")
        cache = CacheEntry(source, max_age=60, clock=clock, rng=lambda: 0.5)
        assert cache.get() == "v1"
        assert clock.now == 1000 + 1 + 2 + 4 + 4
        assert (source.calls, cache.stats.throttled, cache.stats.errors) == (5, 4, 0)

    def test_wait_ends_at_its_bound(self) -> None:
        """A throttle that never lifts fails the call once the wait is spent, not later."""
        clock = FakeClock()
        source = Source(rate_exceeded())
        cache = CacheEntry(source, max_age=60, clock=clock, rng=lambda: 0.99, throttle_wait=10)
        with pytest.raises(FetchError) as caught:
            cache.get()
        assert caught.value.throttled
        assert clock.now == pytest.approx(1010)
        assert source.calls == 4  # tries at 0, 1.98, 5.94 and 10 s

    def test_threads_wait_for_one_fetch(self) -> None:
        """Eight threads on a cold entry under throttling share one fetch and its retries."""
        clock = FakeClock()
        source = Source(rate_exceeded(), rate_exceeded(), "v1")
        cache = CacheEntry(source, max_age=60, clock=clock)
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert results == ["v1"] * 8
        assert source.calls == 3

    def test_plain_clock_sleeps_for_real(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A clock without `sleep` waits with time.sleep."""
        slept: list[float] = []
        monkeypatch.setattr(time, "sleep", slept.append)
        source = Source(rate_exceeded(), "v1")
        cache = CacheEntry(source, max_age=60, rng=lambda: 0.25)
        assert cache.get() == "v1"
        assert slept == [0.5]
