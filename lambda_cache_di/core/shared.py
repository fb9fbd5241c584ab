"""The shared tier: cached values that the processes of one execution environment share.

Standard library only. Lambda Managed Instances run one process per concurrent
request, all sharing `/tmp`. A value fetched by one of them is written, with the
time of the original fetch, to a file of its own in the private folder
(`private_folder.py`, `records.py`); the key's lock file lets one process fetch
while the others wait. Also here: the auto rule deciding whether a provider shares.

Ages count on the provider's clock, by default `time.monotonic`. On Linux that
is CLOCK_MONOTONIC, one clock for the whole machine, so an age written by one
process means the same in every other. A record from the future (another clock)
counts as absent.

Every record of a key is written under the key's lock through one temporary
name, `.<stem>.json.part`. Whoever holds the lock therefore knows that a file at
that name was left by a writer that died, and removes it; a reader that sees
one tries the lock once and does the same.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from ..errors import FetchError, LambdaCacheError
from .cache import Clock
from .environment import sharing_wanted
from .private_folder import (
    TierUnavailable,
    file_stem,
    flocked,
    private_directory,
    remove_from_refused,
    remove_quietly,
    write_json_bytes,
)
from .records import Record, decode, document, encode, parse_record, read_bounded

__all__ = ["Record", "SharedStore", "SharedValue", "decode", "encode", "keep", "resolve_shared"]

DEFAULT_LOCK_TIMEOUT = 30.0
logger = logging.getLogger(__name__)


def resolve_shared(shared: bool | None, by_default: bool) -> bool:
    """Whether a provider shares: as said, or for `None` by the auto rule when `by_default`."""
    if shared is None:
        return by_default and sharing_wanted()
    return shared


def record_name(key: str) -> str:
    """The file name of the record of `key`."""
    return file_stem(key) + ".json"


def temporary_name(key: str) -> str:
    """The one temporary file name through which the record of `key` is written."""
    return f".{file_stem(key)}.json.part"


class SharedStore:
    """Values keyed by text, one JSON file and one lock file per key, in the private folder.

    The folder is looked up at each operation (`LAMBDA_CACHE_DI_DIR` may be set
    after import) unless given. Where the folder is full or a lock file cannot
    be used, an operation goes without the tier: reads find nothing, writes are
    skipped, and the caller fetches for itself.
    """

    def __init__(self, folder: Path | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.folder = folder
        self.lock_timeout = lock_timeout

    def read(self, key: str) -> Record | None:
        """The record of `key` without taking its lock (files are replaced atomically).

        A dead writer's temporary file is removed on the way, if the lock is free.
        """
        try:
            with private_directory(self.folder) as dir_fd:
                _sweep_if_free(dir_fd, key)
                return parse_record(read_bounded(dir_fd, record_name(key)))
        except TierUnavailable:
            return None

    def remove(self, key: str) -> None:
        """Forget the shared value of `key`, under its lock so no writer races the removal."""
        with self.session([key]) as session:
            session.remove(key)

    def remove_from_refused(self, key: str) -> bool:
        """Remove the files of `key` from a refused folder, if it is still ours; whether it was."""
        return remove_from_refused(self.folder, [record_name(key), temporary_name(key)])

    @contextmanager
    def session(self, keys: Sequence[str], what: str = "a shared value") -> Iterator[Session]:
        """Hold the locks of `keys`, taken in sorted order so groups never deadlock.

        All the locks share one deadline, `lock_timeout` from now: a call waits
        that long at most, however many locks it takes. Without a usable folder
        or lock file, the session holds nothing (`locked` is False).
        """
        deadline = time.monotonic() + self.lock_timeout
        with ExitStack() as stack:
            dir_fd: int | None = None
            locked = False
            try:
                dir_fd = stack.enter_context(private_directory(self.folder))
                with ExitStack() as locks:
                    for stem in sorted({file_stem(key) for key in keys}):
                        lock = flocked(dir_fd, stem + ".lock", self.lock_timeout, what, deadline)
                        locks.enter_context(lock)
                    stack.enter_context(locks.pop_all())
                locked = True
            except TierUnavailable:
                pass
            yield Session(dir_fd, locked, keys)


def _sweep_if_free(dir_fd: int, key: str) -> None:
    """Remove a leftover temporary file of `key`, when its lock can be had at once."""
    temp = temporary_name(key)
    with suppress(OSError):
        os.stat(temp, dir_fd=dir_fd, follow_symlinks=False)
        with suppress(FetchError), flocked(dir_fd, file_stem(key) + ".lock", 0.0, key, 0.0):
            remove_quietly(dir_fd, temp)


class Session:
    """Reads and writes of records while their locks are held.

    A session without its locks (no usable lock file) still reads, but writes
    nothing; so does one inherited by a forked child, whose copies of the locks
    were closed at the fork.
    """

    def __init__(self, dir_fd: int | None, locked: bool, keys: Sequence[str]) -> None:
        self._dir_fd = dir_fd
        self._locked = locked and dir_fd is not None
        self._owner = os.getpid()
        if self.locked and dir_fd is not None:
            for key in keys:  # the lock is held: any temporary file is a dead writer's
                remove_quietly(dir_fd, temporary_name(key))

    @property
    def locked(self) -> bool:
        """Whether this process holds the locks of the session."""
        return self._locked and os.getpid() == self._owner

    def read(self, key: str) -> Record | None:
        """The record of `key`, or None when it is missing, damaged or not the library's."""
        if self._dir_fd is None:
            return None
        return parse_record(read_bounded(self._dir_fd, record_name(key)))

    def write(self, key: str, record: Record) -> None:
        """Replace the file of `key` atomically with `record`, its value left out if private."""
        if self._dir_fd is not None and self.locked:
            data = document(record)
            write_json_bytes(self._dir_fd, record_name(key), data, temporary_name(key))

    def remove(self, key: str) -> None:
        """Remove the file of `key`, if it is there."""
        # Without locks (no usable lock file) a removal still runs: racing a writer
        # only costs a fetch. A forked child removes nothing of its parent's.
        if self._dir_fd is not None and os.getpid() == self._owner:
            remove_quietly(self._dir_fd, record_name(key))


class SharedValue:
    """One cached value's place in the store: a fetch made once for all the processes.

    `load()` serves a fresh record written by any process; otherwise it takes
    the key's lock, reads again (another process may have just fetched), and
    only then fetches and writes. Failures are not written: each process keeps
    its own back-off. `private(value)` tells which values must never be written
    (SecureString under the auto rule); for those only a marker is written, so
    that the other processes fetch on their own without waiting on the lock.
    `accepts(value)` tells which values the provider can have fetched: a record
    holding anything else counts as absent.
    """

    def __init__(
        self,
        store: SharedStore,
        key: str,
        fetch: Callable[[], Any],
        clock: Callable[[], Clock],
        max_age: float,
        *,
        what: str,
        private: Callable[[Any], bool] | None = None,
        accepts: Callable[[Any], bool] | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self._fetch = fetch
        self._clock = clock
        self._max_age = max_age
        self._what = what
        self._private = private
        self._accepts = accepts
        self._known_private = False

    @property
    def max_age(self) -> float:
        """How long a shared record of this value stays fresh."""
        return self._max_age

    def usable(self, record: Record | None, now: float) -> bool:
        """Whether `record` is a fresh value (not a private mark) this provider can serve."""
        if record is None or record.private or not record.fresh(now, self._max_age):
            return False
        return self._accepts is None or bool(self._accepts(record.value))

    def load(self, force: bool = False) -> tuple[Any, float]:
        """The value and when it was fetched: a fresh shared one, else one fetched now.

        No record is ever bound to a local here: a failed fetch's traceback keeps
        this frame, and a shared secret must not ride along in it.
        """
        clock = self._clock()
        if not force and not self._known_private:
            hit = self._served(self.store.read(self.key), clock)
            if hit is not None:
                return hit
        if self._known_private:
            return self._fetch_now(clock)
        with self.store.session([self.key], self._what) as session:
            if not force:
                hit = self._served(session.read(self.key), clock)
                if hit is not None:
                    return hit
            value, fetched_at = self._fetch_now(clock)
            private = self._private is not None and self._private(value)
            self._known_private = private
            keep(session, self.key, Record(fetched_at, None if private else value, private))
            return value, fetched_at

    def _served(self, record: Record | None, clock: Clock) -> tuple[Any, float] | None:
        """A fresh record's value and time; None (learning a private mark) otherwise."""
        now = clock()
        if record is not None and record.private and record.fresh(now, self._max_age):
            self._known_private = True
            return None
        if record is None or not self.usable(record, now):
            return None
        return record.value, record.fetched_at

    def _fetch_now(self, clock: Clock) -> tuple[Any, float]:
        began = clock()
        return self._fetch(), began

    def forget(self, before: float) -> None:
        """Remove the shared record if it was fetched at or before `before` (not a newer one).

        When the folder is refused (or the lock held too long), the record is
        removed without the lock if the folder is still ours, and a warning says
        what was done: an invalidated secret must not stay on disk unnoticed.
        """
        self._known_private = False
        try:
            with self.store.session([self.key], self._what) as session:
                fetched_at = _fetched_at(session.read(self.key))
                if fetched_at is None or fetched_at <= before:
                    session.remove(self.key)
        except FetchError as exc:
            removed = self.store.remove_from_refused(self.key)
            outcome = "removed it without the lock" if removed else "its file may remain"
            logger.warning("forgetting the shared copy of %s: %s; %s", self._what, exc, outcome)


def _fetched_at(record: Record | None) -> float | None:
    return None if record is None else record.fetched_at


def keep(session: Session, key: str, record: Record) -> None:
    """Write a record if possible: a full disk or an odd value costs sharing, never the value."""
    with suppress(OSError, TypeError, ValueError):
        session.write(key, record)


# Keys a batch fetch takes; its answer: raw values by key, and an error for each failed key.
BatchAnswer = tuple[dict[Any, Any], dict[Any, BaseException]]


def batch_through_store(
    users: Sequence[tuple[Hashable, SharedValue | None, Callable[[Any], bool] | None]],
    fetch: Callable[[list[Any]], BatchAnswer],
    clock: Callable[[], float],
) -> tuple[dict[Any, tuple[Any, float]], dict[Any, BaseException]]:
    """One batch for the whole environment: fresh shared values are read, the rest fetched once.

    `users` are (batch key, shared value or None, private test). Keys whose value
    is fresh in the store are not fetched; keys with a fresh private mark are
    fetched without their locks (each process fetches those for itself); the
    locks of the others are held (in sorted order, inside `SharedStore.session`)
    across the fetch, so N processes prefetching at once make the requests of one.
    """
    found: dict[Any, tuple[Any, float]] = {}
    try:
        return _batch_locked(users, fetch, clock, found)
    except BaseException:
        # The traceback keeps the frames of this call: leave no value in them.
        found.clear()
        raise


def _batch_locked(
    users: Sequence[tuple[Hashable, SharedValue | None, Callable[[Any], bool] | None]],
    fetch: Callable[[list[Any]], BatchAnswer],
    clock: Callable[[], float],
    found: dict[Any, tuple[Any, float]],
) -> tuple[dict[Any, tuple[Any, float]], dict[Any, BaseException]]:
    now = clock()
    tiers = {key: tier for key, tier, _ in users if tier is not None}
    # Keys with a fresh private mark: every process fetches them for itself, so
    # none waits on their locks, and nothing is written for them.
    marked: set[Any] = set()
    for key, tier in tiers.items():
        record = _read_quietly(tier)
        if record is not None and tier.usable(record, now):
            found[key] = (record.value, record.fetched_at)
        elif record is not None and record.private and record.fresh(now, tier.max_age):
            marked.add(key)
    locked = [tier.key for key, tier in tiers.items() if key not in found and key not in marked]
    store = next(iter(tiers.values())).store if tiers else SharedStore()
    with store.session(locked, "a batch") if locked else nullcontext() as session:
        if session is not None:
            now = clock()
            for key, tier in tiers.items():
                unread = key not in found and key not in marked
                record = session.read(tier.key) if unread else None
                if record is not None and tier.usable(record, now):
                    found[key] = (record.value, record.fetched_at)
        record = None  # a failed fetch's traceback keeps this frame: no value in it
        missing = list(dict.fromkeys(key for key, _, _ in users if key not in found))
        if not missing:
            return found, {}
        began = clock()
        values, errors = fetch(missing)
        for key, user_tier, private in users:
            if key in values and key not in found:
                found[key] = (values[key], began)
                if user_tier is not None and session is not None and key not in marked:
                    hidden = private is not None and private(values[key])
                    record = Record(began, None if hidden else values[key], hidden)
                    keep(session, user_tier.key, record)
        return found, errors


def _read_quietly(tier: SharedValue) -> Record | None:
    try:
        return tier.store.read(tier.key)
    except LambdaCacheError:
        return None
