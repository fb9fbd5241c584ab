"""One download per S3 copy at a time, for every process, thread and provider.

`fetch_copy` wraps `s3.download` with what several processes need: a flock per
local copy in the shared folder, held for the whole download, and the copy's
ETag and fetch time recorded in the shared store beside it, so a caller that
waited finds the copy that arrived meanwhile instead of downloading it again.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, NamedTuple

from ..core.names import S3Location
from ..core.private_folder import remove_quietly
from ..core.shared import Record, SharedStore, keep
from ..errors import FetchError
from .clients import client_origin
from .s3 import (
    CHUNK_SIZE,
    DEFAULT_DOWNLOAD_TIMEOUT,
    Download,
    FreeSpace,
    Timer,
    download,
    free_bytes,
    temporary_stem,
)


class Copy(NamedTuple):
    """The local copy as the shared folder knows it: ETag, size, and when it was fetched.

    `fetched_at` is when the request that last confirmed it began (provider
    clock); `done_at` when that request ended (`time.monotonic`, machine-wide),
    so a caller that began waiting earlier knows the copy is newer than its wish.
    """

    path: Path
    etag: str | None
    size: int
    fetched_at: float
    done_at: float


class CopyOptions(NamedTuple):
    """How `fetch_copy` downloads: conditional or not, free space, body deadline, lock wait."""

    check_before_download: bool = True
    free_space: FreeSpace = free_bytes
    timeout: float = DEFAULT_DOWNLOAD_TIMEOUT
    chunk_size: int = CHUNK_SIZE
    state_folder: Path | None = None


def fetch_copy(
    client: Any,
    location: S3Location,
    path: Path,
    options: CopyOptions,
    *,
    clock: Timer,
    since: float,
    max_age: float | None,
    timer: Timer = time.monotonic,
) -> Copy:
    """The copy at `path`, downloaded unless one arrived after `since` or is younger than `max_age`.

    `since` is a reading of `timer` taken before the call; ages are on `clock`.

    Holds the copy's lock in the shared folder for the whole download, so that
    at most one download per copy runs at a time in the environment; under that
    lock, temporary files left by dead writers of this copy are swept.
    """
    store = SharedStore(options.state_folder, lock_timeout=options.timeout + 30.0)
    key = "s3:" + os.fsdecode(path)
    origin = client_origin(client)
    with store.session([key], location.uri) as session:
        current = _current(session.read(key), path, origin, timer())
        now = clock()
        if current is not None and (
            current.done_at > since
            or (max_age is not None and 0 <= now - current.fetched_at < max_age)
        ):
            return current
        if session.locked:  # without the lock another download may be writing
            _sweep(path)
        etag = current.etag if current is not None and options.check_before_download else None
        began = clock()
        result = download(
            client,
            location,
            path,
            if_none_match=etag,
            free_space=options.free_space,
            chunk_size=options.chunk_size,
            timeout=options.timeout,
        )
        copy = _confirmed(path, current, result, began, timer())
        keep(session, key, Record(began, _describe(copy, origin)))
        return copy


def expire_copy(path: Path, before: float, state_folder: Path | None = None) -> None:
    """Make the copy's record stale if it was fetched at or before `before`; keep its ETag.

    The next caller then asks S3 again, conditionally: an unchanged object costs no body.
    """
    store = SharedStore(state_folder)
    key = "s3:" + os.fsdecode(path)
    with store.session([key], os.fsdecode(path)) as session:
        record = session.read(key)
        if record is not None and record.fetched_at <= before and isinstance(record.value, dict):
            stale = dict(record.value, done_at=repr(-math.inf))
            keep(session, key, Record(-math.inf, stale))


def _confirmed(
    path: Path, current: Copy | None, result: Download | None, began: float, done: float
) -> Copy:
    if result is None and current is not None:
        return Copy(path, current.etag, current.size, began, done)
    if result is None:
        raise FetchError(
            f"GetObject: {path} vanished while its object was unchanged", transient=True
        )
    return Copy(path, result.etag, result.size, began, done)


def _describe(copy: Copy, origin: str) -> dict[str, Any]:
    info = os.stat(copy.path)
    return {
        "etag": copy.etag or "",
        "size": str(copy.size),
        "done_at": repr(copy.done_at),
        "file": f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}",
        "origin": origin,
    }


_FIELDS = frozenset({"etag", "size", "done_at", "file", "origin"})


def _current(record: Record | None, path: Path, origin: str, now: float) -> Copy | None:
    """What the shared folder says of the copy, if the file is still the one it describes.

    Anything but what `_describe` writes counts as absent: another origin's
    copy (endpoint, region, identity), a size that is not a count, a `done_at`
    not yet reached (it would pin the copy forever), an unknown field.
    """
    if record is None or not isinstance(record.value, dict):
        return None
    meta = record.value
    if meta.keys() != _FIELDS or not all(isinstance(item, str) for item in meta.values()):
        return None
    size = meta["size"]
    if meta["origin"] != origin or not (size.isascii() and size.isdecimal() and len(size) < 20):
        return None
    done_at = _time(meta["done_at"])
    if done_at is None or done_at > now:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    if meta["file"] != f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}":
        return None
    return Copy(path, meta["etag"] or None, int(meta["size"]), record.fetched_at, done_at)


def _time(text: str) -> float | None:
    """A `done_at` as written: a finite time, or minus infinity (expired)."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) or number == -math.inf else None


def _sweep(path: Path) -> None:
    """Remove this copy's temporary files: its lock is held, so their writers are gone."""
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        prefix = f".{temporary_stem(path)}."
        for name in os.listdir(dir_fd):
            if name.startswith(prefix) and name.endswith(".part"):
                remove_quietly(dir_fd, name)
    finally:
        os.close(dir_fd)
