"""The shared tier: cached values that the processes of one execution environment share.

Standard library only. Lambda Managed Instances run one process per concurrent
request, all sharing `/tmp`. A value fetched by one of them is written, with the
time of the original fetch, to a file of its own in the private folder
(`private_folder.py`); the key's lock file lets one process fetch while the
others wait. Also here: the auto rule deciding whether a provider shares.

Ages count on the provider's clock, by default `time.monotonic`. On Linux that
is CLOCK_MONOTONIC, one clock for the whole machine, so an age written by one
process means the same in every other. A record from the future (another clock)
counts as absent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import LambdaCacheError
from .cache import Clock
from .environment import sharing_wanted
from .private_folder import (
    file_stem,
    flocked,
    private_directory,
    read_json,
    remove_quietly,
    write_json,
)

DEFAULT_LOCK_TIMEOUT = 30.0


def resolve_shared(shared: bool | None, by_default: bool) -> bool:
    """Whether a provider shares: as said, or for `None` by the auto rule when `by_default`."""
    if shared is None:
        return by_default and sharing_wanted()
    return shared


def encode(value: Any) -> Any:
    """A raw fetched value as JSON: text, lists, dicts (tagged) and bytes (base64, tagged)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"d": {key: encode(item) for key, item in value.items()}}
    raise TypeError(f"{type(value).__name__} is not a value the shared tier stores")


def decode(document: Any) -> Any:
    """The value `encode` wrote; ValueError for anything else."""
    if isinstance(document, str):
        return document
    if isinstance(document, list):
        return [decode(item) for item in document]
    if isinstance(document, dict) and len(document) == 1:
        if "b" in document:
            return base64.b64decode(document["b"], validate=True)
        if "d" in document and isinstance(document["d"], dict):
            return {key: decode(item) for key, item in document["d"].items()}
    raise ValueError("not a stored value")


class Record(NamedTuple):
    """A value shared by the processes, and when it was fetched (provider clock).

    `private` marks a value that must not be shared (a SecureString found under
    the auto rule): the record then holds no value, only that fact, so the other
    processes stop waiting on the lock for it.
    """

    fetched_at: float
    value: Any = None
    private: bool = False

    def fresh(self, now: float, max_age: float) -> bool:
        """Whether the record is younger than `max_age` at `now` (and not from the future)."""
        return 0.0 <= now - self.fetched_at < max_age


class SharedStore:
    """Values keyed by text, one JSON file and one lock file per key, in the private folder.

    The folder is looked up at each operation (`LAMBDA_CACHE_DI_DIR` may be set
    after import) unless given.
    """

    def __init__(self, folder: Path | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.folder = folder
        self.lock_timeout = lock_timeout

    def read(self, key: str) -> Record | None:
        """The record of `key` without taking its lock (files are replaced atomically)."""
        with private_directory(self.folder) as dir_fd:
            return _record(read_json(dir_fd, file_stem(key) + ".json"))

    def remove(self, key: str) -> None:
        """Forget the shared value of `key`, under its lock so no writer races the removal."""
        with self.session([key]) as session:
            session.remove(key)

    @contextmanager
    def session(self, keys: Sequence[str], what: str = "a shared value") -> Iterator[Session]:
        """Hold the locks of `keys`, taken in sorted order so groups never deadlock."""
        with private_directory(self.folder) as dir_fd, ExitStack() as stack:
            for stem in sorted({file_stem(key) for key in keys}):
                stack.enter_context(flocked(dir_fd, stem + ".lock", self.lock_timeout, what))
            yield Session(dir_fd)


class Session:
    """Reads and writes of records while their locks are held."""

    def __init__(self, dir_fd: int) -> None:
        self._dir_fd = dir_fd

    def read(self, key: str) -> Record | None:
        """The record of `key`, or None when it is missing or damaged."""
        return _record(read_json(self._dir_fd, file_stem(key) + ".json"))

    def write(self, key: str, record: Record) -> None:
        """Replace the file of `key` atomically with `record`, its value left out if private."""
        document: dict[str, Any] = {"fetched_at": record.fetched_at}
        if record.private:
            document["private"] = True
        else:
            document["value"] = encode(record.value)
        write_json(self._dir_fd, file_stem(key) + ".json", document)

    def remove(self, key: str) -> None:
        """Remove the file of `key`, if it is there."""
        remove_quietly(self._dir_fd, file_stem(key) + ".json")


def _record(document: Any) -> Record | None:
    """A record from a parsed file; None for anything damaged (it is then replaced)."""
    if not isinstance(document, dict):
        return None
    fetched_at = document.get("fetched_at")
    if isinstance(fetched_at, bool) or not isinstance(fetched_at, (int, float)):
        return None
    if document.get("private") is True:
        return Record(float(fetched_at), private=True)
    if "value" not in document:
        return None
    try:
        return Record(float(fetched_at), decode(document["value"]))
    except (ValueError, TypeError):
        return None


class SharedValue:
    """One cached value's place in the store: a fetch made once for all the processes.

    `load()` serves a fresh record written by any process; otherwise it takes
    the key's lock, reads again (another process may have just fetched), and
    only then fetches and writes. Failures are not written: each process keeps
    its own back-off. `private(value)` tells which values must never be written
    (SecureString under the auto rule); for those only a marker is written, so
    that the other processes fetch on their own without waiting on the lock.
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
    ) -> None:
        self.store = store
        self.key = key
        self._fetch = fetch
        self._clock = clock
        self._max_age = max_age
        self._what = what
        self._private = private
        self._known_private = False

    @property
    def max_age(self) -> float:
        """How long a shared record of this value stays fresh."""
        return self._max_age

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
        if record is None or not record.fresh(clock(), self._max_age):
            return None
        if record.private:
            self._known_private = True
            return None
        return record.value, record.fetched_at

    def _fetch_now(self, clock: Clock) -> tuple[Any, float]:
        began = clock()
        return self._fetch(), began

    def forget(self, before: float) -> None:
        """Remove the shared record if it was fetched at or before `before` (not a newer one)."""
        self._known_private = False
        with self.store.session([self.key], self._what) as session:
            record = session.read(self.key)
            if record is None or record.fetched_at <= before:
                session.remove(self.key)


def keep(session: Session, key: str, record: Record) -> None:
    """Write a record if possible: a full disk or an odd value costs sharing, never the value."""
    with suppress(OSError, TypeError):
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
    is fresh in the store are not fetched; the locks of the others are held (in
    sorted order, inside `SharedStore.session`) across the fetch, so N processes
    prefetching at once make the requests of one.
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
    for key, tier in tiers.items():
        record = _read_quietly(tier)
        if record is not None and not record.private and record.fresh(now, tier.max_age):
            found[key] = (record.value, record.fetched_at)
    locked = [tier.key for key, tier in tiers.items() if key not in found]
    store = next(iter(tiers.values())).store if tiers else SharedStore()
    with store.session(locked, "a batch") if locked else nullcontext() as session:
        if session is not None:
            now = clock()
            for key, tier in tiers.items():
                record = session.read(tier.key) if key not in found else None
                if record is not None and not record.private and record.fresh(now, tier.max_age):
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
                if user_tier is not None and session is not None:
                    hidden = private is not None and private(values[key])
                    record = Record(began, None if hidden else values[key], hidden)
                    keep(session, user_tier.key, record)
        return found, errors


def _read_quietly(tier: SharedValue) -> Record | None:
    try:
        return tier.store.read(tier.key)
    except LambdaCacheError:
        return None
