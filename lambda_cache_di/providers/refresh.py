"""Refresh after a refusal: the policy, rate-limited secret refreshes, and the values to try next.

A database that refuses a password says nothing about which value is right. So
the secrets behind the refusal are fetched again (at most once per
`min_refresh_interval_in_seconds` per provider), and when the refreshed
AWSCURRENT is the refused value, the AWSPENDING version is tried: between
`setSecret` and `finishSecret` of a single-user rotation it is the only value
the database accepts. `Derived` and `refresh_on` share this module.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ConfigurationError, LambdaCacheError, NotFoundError
from .arguments import check_seconds
from .base import CachedProvider
from .secrets import Secret, Secrets

logger = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 3.0
DEFAULT_MIN_REFRESH_INTERVAL_SECONDS = 10.0
_FIRST_DELAY_SECONDS = 0.05
_MAX_DELAY_SECONDS = 1.0
PENDING_STAGE = "AWSPENDING"

Exceptions = tuple[type[BaseException], ...]


def check_exceptions(value: object, argument: str) -> Exceptions:
    """An exception type or a tuple of them, as a tuple; ConfigurationError otherwise."""
    given = value if isinstance(value, tuple) else (value,)
    if not all(isinstance(item, type) and issubclass(item, BaseException) for item in given):
        raise ConfigurationError(f"{argument} must be an exception type or a tuple of them")
    return given


class RefreshPolicy:
    """Which errors mean "refresh the secrets and try again", and for how long to try.

    `wait_in_seconds` bounds the tries after the first failure (a few seconds:
    the window of a rotation, inside a Lambda timeout); the delays between
    tries grow exponentially from 50 ms to 1 s, each drawn at random below
    its bound (full jitter). `min_refresh_interval_in_seconds`: a secret
    fetched more recently than this is not fetched again, and its AWSPENDING
    version is read at most that often. `use_pending=False` never reads it.
    """

    __slots__ = ("clock", "exceptions", "min_interval", "random", "sleep", "use_pending", "wait")

    def __init__(
        self,
        exceptions: type[BaseException] | Exceptions = (),
        *,
        wait_in_seconds: float = DEFAULT_WAIT_SECONDS,
        min_refresh_interval_in_seconds: float = DEFAULT_MIN_REFRESH_INTERVAL_SECONDS,
        use_pending: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.exceptions = check_exceptions(exceptions, "refresh_on")
        self.wait = check_seconds(wait_in_seconds, "wait_in_seconds")
        self.min_interval = check_seconds(
            min_refresh_interval_in_seconds, "min_refresh_interval_in_seconds"
        )
        if not isinstance(use_pending, bool):
            raise ConfigurationError(f"use_pending must be a bool, not {use_pending!r}")
        self.use_pending = use_pending
        self.clock, self.sleep, self.random = clock, sleep, rng

    def delays(self, wait: float | None = None) -> Iterator[float]:
        """Jittered delays whose sum stays within `wait` (the policy's own by default)."""
        left = self.wait if wait is None else wait
        bound = _FIRST_DELAY_SECONDS
        while left > 0:
            delay = min(left, bound * self.random())
            left -= max(delay, bound / 2)  # a try costs time too: the number of tries is bounded
            yield delay
            bound = min(bound * 2, _MAX_DELAY_SECONDS)

    def __repr__(self) -> str:
        names = ", ".join(exc.__name__ for exc in self.exceptions)
        return f"<RefreshPolicy ({names}) wait={self.wait:g}s>"


def as_policy(value: object) -> RefreshPolicy:
    """A RefreshPolicy as given, or one with the default options for exception types."""
    return value if isinstance(value, RefreshPolicy) else RefreshPolicy(value)  # type: ignore[arg-type]


class SecretSource:
    """A Secret or Secrets behind a refused value: rate-limited refreshes, and AWSPENDING."""

    __slots__ = ("_lock", "_missing_until", "_pending", "_refreshed_at", "policy", "provider")

    def __init__(self, provider: CachedProvider[Any], policy: RefreshPolicy) -> None:
        self.provider = provider
        self.policy = policy
        self._pending: Secret[Any] | None = None
        self._missing_until = -math.inf
        self._refreshed_at = -math.inf
        self._lock = threading.Lock()

    def refresh(self) -> bool:
        """Fetch the value again, unless this source did less than the minimum interval ago."""
        provider = self.provider
        with self._lock:
            now = provider.clock()
            if now < self._refreshed_at + self.policy.min_interval:
                return False
            self._refreshed_at = now
        try:
            provider.refresh()
        except LambdaCacheError as exc:
            # The value in hand stays; the refusal, not this, is what the caller hears about.
            described = provider.describe()
            logger.warning("refresh of %s after a refusal failed: %s", described, exc)
            return False
        return True

    @property
    def recent(self) -> bool:
        """Whether the value was fetched within the minimum interval (so likely still current)."""
        age = self.provider.age
        return age is not None and age < self.policy.min_interval

    def pending(self) -> tuple[bool, Any]:
        """(True, the AWSPENDING value as the secret transforms it), or (False, None)."""
        provider = self.provider
        if not isinstance(provider, Secret) or not self._has_pending_stage(provider):
            return False, None
        with self._lock:
            if provider.clock() < self._missing_until:
                return False, None
            if self._pending is None:
                self._pending = Secret(
                    provider.secret_id.id,
                    transform=provider.transform,
                    version_stage=PENDING_STAGE,
                    client=provider.client,
                    clock=provider.clock,
                    max_age_in_seconds=self.policy.min_interval,
                )
            try:
                return True, self._pending()
            except NotFoundError:
                # No rotation in progress: do not ask again before the interval is over.
                self._missing_until = provider.clock() + self.policy.min_interval
            except LambdaCacheError as exc:
                self._missing_until = provider.clock() + self.policy.min_interval
                logger.warning("AWSPENDING of %s could not be read: %s", provider.describe(), exc)
        return False, None

    def _has_pending_stage(self, provider: Secret[Any]) -> bool:
        return (
            self.policy.use_pending
            and provider.batchable  # AWSCURRENT: a version of its own has no AWSPENDING
            and provider.last_overriding is None
        )


def secret_sources(provider: Any, policy: RefreshPolicy) -> list[SecretSource]:
    """Every Secret or Secrets provider that `provider` is or depends on, each once."""
    found = {id(provider): provider} if isinstance(provider, (Secret, Secrets)) else {}
    for related in provider.traverse(types=(Secret, Secrets)):
        found.setdefault(id(related), related)
    return [SecretSource(item, policy) for item in found.values()]


class Tries:
    """The values to try after a refusal, in order: refreshed, then AWSPENDING, then again.

    Values stay in this object's attributes, never in a caller's locals, so an
    error raised after the last try carries no value in its frames.
    """

    __slots__ = ("_direct", "_refused", "_resolve", "_sources", "current", "values")

    def __init__(
        self,
        resolve: Callable[[], tuple[Any, ...]],
        direct: list[SecretSource | None],
        sources: list[SecretSource],
        refused: tuple[Any, ...],
    ) -> None:
        self._resolve = resolve  # the argument values as the providers give them now
        self._direct = direct  # for each argument, its SecretSource when it is a Secret
        self._sources = sources
        self._refused = [refused]
        self.current: tuple[Any, ...] = refused
        self.values: tuple[Any, ...] = refused

    def advance(self) -> None:
        """Choose `values`, the next values to try: a refreshed AWSCURRENT, or AWSPENDING.

        A value fetched within the minimum interval is likely the current one
        already: then AWSPENDING is tried first (the window of a rotation).
        """
        steps = [self._refreshed, self._pending]
        if any(source.recent for source in self._sources):
            steps.reverse()
        for step in steps:
            candidate = step()
            if candidate is not None and not self._was_refused(candidate):
                self.values = candidate
                return
        # The same values again: the database may be back (a failover).
        self.current = self.values = self._resolve()

    def _refreshed(self) -> tuple[Any, ...] | None:
        refreshed = [source.refresh() for source in self._sources]
        if not any(refreshed):
            return None
        self.current = self._resolve()
        return self.current

    def _pending(self) -> tuple[Any, ...] | None:
        self.current = self._resolve()
        substituted = list(self.current)
        found_any = False
        for index, direct in enumerate(self._direct):
            if direct is not None:
                found, value = direct.pending()
                if found:
                    substituted[index] = value
                    found_any = True
        return tuple(substituted) if found_any else None

    def refused(self) -> None:
        """Record that `values` failed too."""
        self._refused.append(self.values)

    def _was_refused(self, values: tuple[Any, ...]) -> bool:
        return any(_equal(values, refused) for refused in self._refused)

    def __repr__(self) -> str:
        return "<Tries: the values refused and the ones to try next>"


def _equal(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    try:
        return bool(left == right)
    except Exception:
        return False
