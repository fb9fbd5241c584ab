"""Cache core: one TTL-cached value with single-flight refresh, stale-if-error and back-off.

Standard library only. The entry knows nothing of AWS or dependency-injector: it
calls a `fetch()` function and classifies failures by the library's own errors.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from ..errors import FetchError, LambdaCacheError, NotFoundError, TransformError
from .pacing import DEFAULT_THROTTLE_WAIT_SECONDS, backoff_window, last_try, throttle_pause

T = TypeVar("T")
R = TypeVar("R")

Clock = Callable[[], float]

_NEVER = -math.inf


class Source(Protocol):
    """Where an entry gets values from instead of calling `fetch` itself (the shared tier).

    `load(force)` returns a value and when it was fetched, on the entry's clock
    (`force`: fetch even when a fresh value is held elsewhere); `forget(before)`
    drops what was fetched at or before that time.
    """

    def load(self, force: bool) -> tuple[Any, float]: ...

    def forget(self, before: float) -> None: ...


class CallableSource(NamedTuple):
    """A `Source` made of two plain callables: what a provider hands its entry."""

    load: Callable[[bool], tuple[Any, float]]
    forget: Callable[[float], None]


class CacheStats(NamedTuple):
    """How a cached value has been used: counts only, never the value.

    Attributes:
        hits: calls answered from the cache.
        misses: calls that fetched.
        errors: fetches that failed.
        stale: calls answered with a stale value after a transient failure.
    """

    hits: int = 0
    misses: int = 0
    errors: int = 0
    stale: int = 0
    throttled: int = 0


class CacheEntry(Generic[T]):
    """A value fetched on demand and kept for `max_age` seconds of `clock` time.

    `get()` returns the cached value while it is fresh. Otherwise exactly one
    thread fetches while the others wait and share its outcome. Failures are
    never stored as values; they start a back-off window from the second one
    in a row, and transient ones may be answered with the last good value for
    `stale_if_error` seconds past its expiry.

    Each value lives `max_age * (1 - jitter * random())`; the first one stored
    (after creation or `invalidate()`) uses `first_jitter` instead, when given.
    """

    __slots__ = (
        "_attempts",
        "_backoff_cap",
        "_clock",
        "_errors",
        "_failures",
        "_fetch",
        "_fetched_at",
        "_first_jitter",
        "_hits",
        "_jitter",
        "_last_error",
        "_lock",
        "_max_age",
        "_misses",
        "_random",
        "_retry_after",
        "_slot",
        "_source",
        "_stale",
        "_stale_if_error",
        "_throttle_wait",
        "_throttled",
        "_throttled_tries",
        "_wait_until",
    )

    def __init__(
        self,
        fetch: Callable[[], T],
        *,
        max_age: float,
        stale_if_error: float = 0.0,
        backoff_cap: float = 5.0,
        jitter: float = 0.0,
        first_jitter: float | None = None,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
        source: Source | None = None,
        throttle_wait: float = DEFAULT_THROTTLE_WAIT_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._source = source
        self._max_age = max_age
        self._stale_if_error = stale_if_error
        self._backoff_cap = backoff_cap
        self._jitter = jitter
        self._first_jitter = jitter if first_jitter is None else first_jitter
        self._clock = clock
        self._random = rng
        self._lock = threading.Lock()
        # (expires_at, value) read together in one attribute load, so a
        # reader never pairs a new deadline with an old value.
        self._slot: tuple[float, T | None] = (_NEVER, None)
        self._fetched_at: float | None = None
        self._hits = self._misses = self._errors = self._stale = self._throttled = 0
        self._throttle_wait = throttle_wait
        # While a fetch runs (under the lock): until when a throttled request may be
        # tried again, or None when it may not (a value in hand is served instead).
        self._wait_until: float | None = None
        # Throttled tries since the last value stored: prefetch's count on at first use,
        # so a fetch that waited through init does not start again at the shortest pause.
        self._throttled_tries = 0
        self._attempts = 0
        self._failures = 0
        self._retry_after = _NEVER
        self._last_error: BaseException | None = None

    # -- reading -----------------------------------------------------------

    def get(self, _args: object = None, _kwargs: object = None) -> T:
        """Return the cached value, fetching it when it is absent or expired.

        The two ignored arguments let a provider use this bound method as its
        `_provide(args, kwargs)`, saving a Python call on every cache hit.
        """
        expires_at, value = self._slot
        now = self._clock()
        if now < expires_at:
            self._hits += 1
            return value  # type: ignore[return-value]
        # An error raised below keeps this frame in its traceback: no cached value in it.
        del value
        return self._get_slow(now)

    def _get_slow(self, started: float, attempts_seen: int | None = None) -> T:
        """The path of a missing or expired value; `attempts_seen` is read before the lock."""
        if attempts_seen is None:
            attempts_seen = self._attempts
        with self._lock:
            outcome_known = self._last_error is not None or self._fetched_at is not None
            if self._attempts != attempts_seen and outcome_known:
                # Another thread fetched while this one waited: share its outcome.
                # (After an invalidate() there is nothing to share: fetch below.)
                return self._shared_outcome(started)
            now = self._clock()
            expires_at, value = self._slot
            if now < expires_at:
                self._hits += 1
                return value  # type: ignore[return-value]
            del value  # as in get(): an error's frames must not hold the old value
            error = self._last_error
            if now < self._retry_after and error is not None and not self._waits(started, error):
                return self._serve_stale_or_raise(
                    started, error, f"backing off for {self._retry_after - now:.1f}s"
                )
            del error
            self._misses += 1
            return self._fetch_locked(started)

    def _shared_outcome(self, started: float) -> T:
        if self._last_error is None:
            self._hits += 1
            return self._slot[1]  # type: ignore[return-value]
        return self._serve_stale_or_raise(started, self._last_error, "shared failed attempt")

    def _serve_stale_or_raise(self, started: float, error: BaseException, reason: str) -> T:
        """Answer a call that made no request during a failure: stale if allowed, else an error."""
        if self._may_serve_stale(started, error):
            self._stale += 1
            return self._slot[1]  # type: ignore[return-value]
        raise _repeat_failure(error, reason) from error

    def _may_serve_stale(self, started: float, error: BaseException) -> bool:
        """Whether the value was younger than max age + stale window when the call began.

        Throttling says nothing against the value: its window is at least one more max age.
        """
        if self._fetched_at is None or not getattr(error, "transient", False):
            return False
        window = self._stale_if_error
        if getattr(error, "throttled", False):
            window = max(window, self._max_age)
        return started < self._fetched_at + self._max_age + window

    def _waits(self, started: float | None, error: BaseException) -> bool:
        """Whether a call facing `error` fetches and waits: throttled, with nothing to serve."""
        if not getattr(error, "throttled", False):
            return False
        return started is None or not self._may_serve_stale(started, error)

    # -- fetching ----------------------------------------------------------

    def _fetch_locked(
        self, started: float | None, force: bool | None = None, wait: float | None = None
    ) -> T:
        """Fetch once, holding the lock. With `started`, a transient failure may be served stale.

        `force` (by default: without `started`, as for refresh) tells the source
        to fetch even when it holds a fresh value of its own. `wait` bounds how
        long a throttled fetch keeps trying (default: the entry's throttle wait,
        and none when a value in hand may be served instead).
        """
        fetch_began = self._clock()
        self._wait_until = self._wait_deadline(started, fetch_began, wait)
        try:
            if self._source is None:
                value = self.fetch_waiting(self._fetch)
            else:
                value, fetch_began = self._source.load(
                    force=started is None if force is None else force
                )
        except Exception as exc:
            # The back-off window opens when the failure is known, however long it took.
            self._record_failure(exc, self._clock())
            if started is not None and self._may_serve_stale(started, exc):
                self._stale += 1
                return self._slot[1]  # type: ignore[return-value]
            raise
        finally:
            self._wait_until = None
        self._store(value, fetch_began)
        return value

    def _wait_deadline(self, started: float | None, now: float, wait: float | None) -> float | None:
        """Until when this fetch may retry throttled requests; None: one try only."""
        if wait is not None:
            return now + wait if wait > 0 else None
        fetched_at = self._fetched_at
        window = max(self._max_age, self._stale_if_error)
        in_hand = fetched_at is not None and (
            started is None or started < fetched_at + self._max_age + window
        )
        return None if in_hand or self._throttle_wait <= 0 else now + self._throttle_wait

    def fetch_waiting(self, fetch: Callable[[], R]) -> R:
        """`fetch()`, tried again while it is throttled and the fetch under way may still wait.

        Pauses draw full jitter from the entry's `rng` and pass on the clock's
        `sleep` when it has one (a fake clock then controls them), else `time.sleep`.
        The caller holds the entry's lock (a source calls this from inside `load`),
        so other threads wait for this one fetch; outside a fetch it tries once.
        When it stops is `pacing.last_try`: a fetch of several calls with none
        answered stops a little before its wait ends.
        """
        while True:
            try:
                return fetch()
            except Exception as exc:
                partly_served = getattr(exc, "partly_served", False)
                final = last_try(self._wait_until, getattr(exc, "in_parts", False), partly_served)
                # One subtraction from a time: sleeping `remaining` lands on `final` exactly.
                remaining = 0.0 if final is None else final - self._clock()
                if not getattr(exc, "throttled", False) or remaining <= 0:
                    raise
                self._throttled += 1
                self._throttled_tries += 1
            pause = throttle_pause(self._throttled_tries, self._random(), partly_served, remaining)
            self._sleep(min(pause, remaining))

    def _sleep(self, seconds: float) -> None:
        sleep = getattr(self._clock, "sleep", None)
        (sleep if callable(sleep) else time.sleep)(seconds)

    def _store(self, value: T, fetched_at: float) -> None:
        max_age = self._max_age
        # The first value (a cold start's) may have a jitter of its own: environments
        # that started together then refresh at moments of their own from then on.
        jitter = self._first_jitter if self._fetched_at is None else self._jitter
        if jitter:
            # Jitter only ever shortens an age, so no value outlives max_age.
            max_age *= 1.0 - jitter * self._random()
        self._slot = (fetched_at + max_age, value)
        self._fetched_at = fetched_at
        self._attempts += 1
        self._failures = 0
        self._throttled_tries = 0
        self._retry_after = _NEVER
        self._last_error = None

    def _record_failure(self, exc: BaseException, now: float) -> None:
        self._attempts += 1
        self._errors += 1
        self._failures += 1
        self._last_error = exc
        throttled = getattr(exc, "throttled", False)
        self._throttled += throttled
        self._throttled_tries += throttled
        window = backoff_window(self._failures, throttled, self._backoff_cap, self._random)
        if window is not None:
            self._retry_after = now + window

    # -- control -----------------------------------------------------------

    def refresh(self, force: bool = True, wait: float | None = None) -> T:
        """Fetch now, whatever the age or back-off; on failure the old value stays.

        With `force=False` the source may answer with a fresh value it holds (one
        another process fetched), as prefetch wants. A throttled refresh waits
        (within `wait` seconds if given, else the throttle wait) only when no value is held.
        """
        with self._lock:
            self._misses += 1
            return self._fetch_locked(None, force, wait)

    def put(self, value: T, fetched_at: float | None = None) -> None:
        """Store a value fetched elsewhere (by prefetch); its age counts from `fetched_at`."""
        with self._lock:
            self._misses += 1
            self._store(value, self._clock() if fetched_at is None else fetched_at)

    def invalidate(self) -> None:
        """Forget the value and any back-off (and the source's copy); the next call fetches."""
        with self._lock:
            self._slot = (_NEVER, None)
            self._fetched_at = None
            self._failures = 0
            self._throttled_tries = 0
            self._retry_after = _NEVER
            self._last_error = None
            if self._source is not None:
                self._source.forget(self._clock())

    @property
    def source(self) -> Source | None:
        """Where values come from when not from `fetch` directly (the shared tier), if anywhere."""
        return self._source

    # -- introspection -----------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        """A snapshot of the hit, miss, error, stale and throttled counters."""
        return CacheStats(self._hits, self._misses, self._errors, self._stale, self._throttled)

    @property
    def age(self) -> float | None:
        """Seconds since the cached value was fetched, or None when there is none."""
        fetched_at = self._fetched_at
        return None if fetched_at is None else self._clock() - fetched_at

    @property
    def fresh(self) -> bool:
        """Whether a value is cached and has not expired (a get() would not fetch)."""
        return self._clock() < self._slot[0]

    @property
    def max_age(self) -> float:
        """Seconds a fetched value stays fresh."""
        return self._max_age

    @max_age.setter
    def max_age(self, seconds: float) -> None:
        """Set once a provider has resolved its age; values stored later use it."""
        self._max_age = seconds

    @property
    def clock(self) -> Clock:
        """The monotonic clock that ages the value."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        """Switch clocks; a cached value keeps its age and lifetime, any back-off window ends."""
        with self._lock:
            if self._fetched_at is not None:
                elapsed = self._clock() - self._fetched_at
                lifetime = self._slot[0] - self._fetched_at
                self._fetched_at = clock() - elapsed
                self._slot = (self._fetched_at + lifetime, self._slot[1])
            self._retry_after = _NEVER
            self._clock = clock


def _repeat_failure(error: BaseException, reason: str) -> LambdaCacheError:
    """A new error of the same kind as `error`, for a caller that did not make the request.

    Only this library's messages are repeated: they never hold a value. A
    foreign exception (a bug in a fetch function) is named by type only.
    """
    if isinstance(error, NotFoundError):
        return NotFoundError(error.names, f"{error} ({reason})")
    if isinstance(error, TransformError):
        return TransformError(f"{error} ({reason})")
    if isinstance(error, FetchError):
        return FetchError(
            f"{error} ({reason})", transient=error.transient, throttled=error.throttled
        )
    if isinstance(error, LambdaCacheError):
        return FetchError(f"{error} ({reason})")
    return FetchError(f"fetch failed with {type(error).__name__} ({reason})")
