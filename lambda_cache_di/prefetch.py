"""`prefetch`: fill every cached provider of a container now, batched and in parallel.

Meant for the init phase of a cold start: providers of one class that share a
client and have a `batch_key()` are read together by their class's `fetch_batch`
(SSM parameters in GetParameters calls, secrets at AWSCURRENT in one batched
round trip), everything else is refreshed on its own; all of it at once in a
bounded thread pool. Nothing here names a provider class: each says what it
needs through the source protocol of `CachedProvider`. Each provider's cache is
filled as if it had fetched for itself, through its own transform. Values still
fresh are left alone, so prefetch may run again and again. Nothing raises: failures are returned
and logged (names and error types only), and those providers fetch on first use.
Only a bad `max_workers` or `throttle_wait_in_seconds` raises (ConfigurationError).

Throttled requests are tried again with full-jitter pauses, but only for
`throttle_wait_in_seconds` (default 4 s: Lambda gives init 10 s in all, and
imports and clients need their share). What is still throttled then is returned
among the failures, and fetched at first use with the provider's own wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .core.cache import Clock
from .core.environment import in_snapstart_init
from .core.pacing import throttle_pause
from .core.shared import BatchAnswer, batch_through_store
from .errors import ConfigurationError, FetchError, LambdaCacheError
from .providers.arguments import check_seconds
from .providers.base import CachedProvider
from .providers.discovery import cached_providers

logger = logging.getLogger(__name__)

Named = tuple[str, CachedProvider[Any]]
# A batch fetch: keys in; the values by key, and an error for each key that failed.
BatchFetch = Callable[[Any, list[Any]], BatchAnswer]

DEFAULT_PREFETCH_THROTTLE_WAIT_SECONDS = 4.0


def prefetch(
    container: Any,
    *,
    max_workers: int = 8,
    throttle_wait_in_seconds: float = DEFAULT_PREFETCH_THROTTLE_WAIT_SECONDS,
) -> dict[str, BaseException]:
    """Fetch every cached provider of a container instance now; return `{name: error}` of failures.

    Overridden providers are skipped, and so are values still fresh: calling
    it again makes no request until something expires. Provider arguments
    (`config.param_name`) are resolved here; one that cannot be is returned as a
    ConfigurationError. A failure never stops the others and is never raised:
    it is logged as a warning and the provider fetches again on first use.
    Throttled requests are tried again for at most `throttle_wait_in_seconds`.
    """
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ConfigurationError(f"max_workers must be a positive int, not {max_workers!r}")
    wait = check_seconds(throttle_wait_in_seconds, "throttle_wait_in_seconds")
    failures: dict[str, BaseException] = {}
    named: list[Named] = []
    for name, provider in cached_providers(container):
        if provider.last_overriding is not None or not _may_prefetch(provider):
            continue
        try:
            provider.resolve()
        except ConfigurationError as exc:
            failures[name] = exc
            continue
        if not provider.fresh:
            named.append((name, provider))
    if named:
        _fetch_all(named, max_workers, failures, wait)
    for name, error in list(failures.items()):
        # Named by type only: a message may quote a value, ours never do.
        logger.warning("prefetch: %s failed with %s", name, type(error).__name__)
        if not isinstance(error, LambdaCacheError):
            failures[name] = _typed(error)  # a bug somewhere: still returned typed
    return failures


def _typed(error: BaseException) -> LambdaCacheError:
    """A FetchError standing for an error that is not this library's, chained to it."""
    typed = FetchError(f"prefetch failed with {type(error).__name__}")
    typed.__cause__ = error
    return typed


def _fetch_all(
    named: list[Named], max_workers: int, failures: dict[str, BaseException], wait: float
) -> None:
    tasks: list[Future[dict[str, BaseException]]] = []
    deadline = _Deadline(wait, [provider.clock for _, provider in named])
    with ThreadPoolExecutor(max_workers, thread_name_prefix="prefetch") as pool:
        for members in _by_service(named).values():
            tasks += _submit_service(pool, members, failures, deadline)
        for task in tasks:
            failures.update(task.result())


class _Deadline:
    """prefetch's one bound on throttling, on the providers' clocks, from when prefetch began.

    One bound for the whole prefetch: a task that starts late has less of it
    left. Counted on the providers' own clocks, so a fake clock (a test, the
    fleet benchmark's virtual time) controls it as it controls their waits.
    """

    def __init__(self, wait: float, clocks: list[Clock]) -> None:
        self._wait = wait
        self._ends: dict[int, tuple[Clock, float]] = {}
        for clock in clocks:
            if id(clock) not in self._ends:  # the clock is kept: its id stays its own
                self._ends[id(clock)] = (clock, clock() + wait)

    def on(self, clock: Clock) -> float:
        """When the bound ends, read on `clock` (one of the providers' clocks)."""
        known = self._ends.get(id(clock))
        return clock() + self._wait if known is None else known[1]


def _may_prefetch(provider: CachedProvider[Any]) -> bool:
    """In a SnapStart init, only what holds no secret: see snapstart.py."""
    return not in_snapstart_init() or provider.snapshot_safe


def _by_service(named: list[Named]) -> dict[str, list[Named]]:
    by_service: dict[str, list[Named]] = {}
    for name, provider in named:
        by_service.setdefault(provider.service, []).append((name, provider))
    return by_service


def _submit_service(
    pool: ThreadPoolExecutor,
    members: list[Named],
    failures: dict[str, BaseException],
    deadline: _Deadline,
) -> list[Future[dict[str, BaseException]]]:
    """Resolve the clients of one service here, then submit its work to the pool.

    Clients are made in the calling thread, one after the other: making one is
    CPU-bound (parallel threads would not finish sooner) and client providers
    such as `providers.Singleton` are not thread-safe. The work of the first
    service is on the wire while the next service's client is being made.
    """
    by_spec: dict[int | None, list[Named]] = {}
    for name, provider in members:
        spec = None if provider.client is None else id(provider.client)
        by_spec.setdefault(spec, []).append((name, provider))
    by_client: dict[int, tuple[Any, list[Named]]] = {}
    for spec_members in by_spec.values():
        try:
            client = spec_members[0][1].resolve_client()
        except Exception as exc:
            failures.update((name, exc) for name, _ in spec_members)
            continue
        by_client.setdefault(id(client), (client, []))[1].extend(spec_members)
    tasks: list[Future[dict[str, BaseException]]] = []
    for client, client_members in by_client.values():
        batched = [m for m in client_members if _batchable(m[1])]
        tasks += _submit_batches(pool, client, batched, deadline)
        for name, provider in client_members:
            if not _batchable(provider):
                tasks.append(pool.submit(_refresh, name, provider, deadline))
    return tasks


def _batchable(provider: CachedProvider[Any]) -> bool:
    return provider.batch_key() is not None


def _refresh(
    name: str, provider: CachedProvider[Any], deadline: _Deadline
) -> dict[str, BaseException]:
    try:
        # Not forced: a value another process just fetched for the environment will do.
        provider.prefill(wait=max(0.0, deadline.on(provider.clock) - provider.clock()))
    except Exception as exc:
        return {name: exc}
    return {}


def _submit_batches(
    pool: ThreadPoolExecutor, client: Any, members: list[Named], deadline: _Deadline
) -> list[Future[dict[str, BaseException]]]:
    """One task per provider class: its `fetch_batch` makes that class's calls at once."""
    by_class: dict[type[CachedProvider[Any]], list[Named]] = {}
    for name, provider in members:
        by_class.setdefault(type(provider), []).append((name, provider))
    tasks: list[Future[dict[str, BaseException]]] = []
    for kind, users in by_class.items():
        keys = list(dict.fromkeys(provider.batch_key() for _, provider in users))
        fetch = _waiting(kind.fetch_batch, users[0][1].clock, deadline)
        tasks.append(pool.submit(_batch, fetch, client, keys, users))
    return tasks


def _waiting(fetch: BatchFetch, clock: Clock, deadline: _Deadline) -> BatchFetch:
    """`fetch`, with its throttled keys asked again after full-jitter pauses until `deadline`.

    Pauses pass on the providers' clock's `sleep` when it has one (a fake clock),
    else `time.sleep`; what is left of the bound when the batch starts is counted on that clock.
    """
    sleep = getattr(clock, "sleep", None)
    pause_for: Callable[[float], None] = sleep if callable(sleep) else time.sleep

    def fetch_waiting(client: Any, keys: list[Any]) -> BatchAnswer:
        values: dict[Any, Any] = {}
        errors: dict[Any, BaseException] = {}
        asked = keys
        end = deadline.on(clock)
        for attempt in range(64):
            try:
                got, failed = fetch(client, asked)
            except Exception as exc:
                got, failed = {}, dict.fromkeys(asked, exc)
            values.update(got)
            errors.update(failed)
            asked = [key for key in asked if getattr(failed.get(key), "throttled", False)]
            remaining = end - clock()
            if not asked or remaining <= 0:
                break
            pause_for(min(remaining, throttle_pause(attempt + 1, random.random())))
            for key in asked:
                errors.pop(key)
        return values, errors

    return fetch_waiting


def _batch(
    fetch: BatchFetch, client: Any, keys: list[Any], users: list[Named]
) -> dict[str, BaseException]:
    """One batch call: each provider gets its value, or the error of its own key alone.

    Shared providers go through the store: what another process fetched is
    read, and only what is missing is fetched, once for the environment.
    """
    failures: dict[str, BaseException] = {}
    try:
        found, errors = batch_through_store(
            [
                (p.batch_key(), p.shared_tier(), p.private_value if p.shared is None else None)
                for _, p in users
            ],
            lambda missing: fetch(client, missing),
            users[0][1].clock,
        )
    except Exception as exc:
        return {name: exc for name, _ in users}
    try:
        for name, provider in users:
            key = provider.batch_key()
            if key in errors:
                failures[name] = errors[key]
                continue
            if key not in found:  # a SecureString left encrypted in a SnapStart init
                continue
            try:
                # The provider's own transform path, so a batched value is cached
                # exactly as the provider's fetch would have cached it.
                value, fetched_at = found[key]
                provider.store_fetched(value, fetched_at)
            except Exception as exc:
                failures[name] = exc
            value = None
    finally:
        # A returned error's traceback keeps this frame: drop every value of the batch.
        found.clear()
    return failures
