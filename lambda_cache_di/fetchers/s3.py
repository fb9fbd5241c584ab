"""S3 fetcher: one GetObject streamed to a temporary file beside the copy, then renamed.

A reader never sees a partial file and a failed download leaves the previous
copy as it was. With an ETag, the request is conditional (`If-None-Match`):
an unchanged object answers 304 and transfers no body.

`fetch_copy` adds what several processes, threads and providers need: one
download per local copy at a time (a flock in the shared folder), the copy's
ETag and fetch time beside it, so a caller that waited finds the copy that
arrived meanwhile instead of downloading it again.
"""

from __future__ import annotations

import errno
import hashlib
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import shared
from ..errors import ConfigurationError, FetchError
from ..names import S3Location
from .errors import translated

CHUNK_SIZE = 1024 * 1024
FOLDER_MODE = 0o700
DEFAULT_DOWNLOAD_TIMEOUT = 300.0
_DIGEST_CHARS = 16
_MAX_BASENAME_CHARS = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]")
# A full disk or quota is a passing condition: the old copy may be served meanwhile.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})

FreeSpace = Callable[[Path], int]
Timer = Callable[[], float]


def default_directory() -> Path:
    """The folder for copies without a `local_path`: the shared folder (read now, not created)."""
    return shared.shared_directory()


def free_bytes(folder: Path) -> int:
    """Bytes free on the file system that holds `folder`."""
    return shutil.disk_usage(folder).free


def local_file_name(location: S3Location) -> str:
    """A file name unique to bucket and key that holds no path separator and no leading dot.

    A short SHA-256 of the URI keeps same-named objects of two buckets or
    prefixes apart; the key's last segment, reduced to safe characters, keeps
    the name readable.
    """
    digest = hashlib.sha256(location.uri.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    basename = _UNSAFE.sub("_", location.key.rsplit("/", 1)[-1]).lstrip(".")
    return f"{digest}-{basename[-_MAX_BASENAME_CHARS:] or 'object'}"


def default_local_path(directory: Path, location: S3Location) -> Path:
    """Where the copy of `location` goes inside `directory`; it can never lie outside it."""
    path = directory / local_file_name(location)
    if path.resolve().parent != directory.resolve():
        raise ConfigurationError(f"{location.uri} would be stored outside {directory}")
    return path


def temporary_stem(path: Path) -> str:
    """The short stem of the temporary files of `path`: 16 hex digits, whatever its length."""
    return hashlib.sha256(os.fsencode(path)).hexdigest()[:_DIGEST_CHARS]


@dataclass(frozen=True)
class Download:
    """A local copy just written: its path, the object's ETag and its size in bytes."""

    path: Path
    etag: str | None
    size: int


def download(
    client: Any,
    location: S3Location,
    path: Path,
    *,
    if_none_match: str | None = None,
    free_space: FreeSpace = free_bytes,
    chunk_size: int = CHUNK_SIZE,
    timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,
    timer: Timer = time.monotonic,
) -> Download | None:
    """Copy the object to `path` with one GetObject; None when `if_none_match` still matches.

    The body streams in chunks of `chunk_size` into a temporary file of its own
    beside `path`, which replaces `path` only once complete and flushed to disk.
    The whole body must arrive within `timeout` seconds of the request.
    """
    deadline = timer() + timeout
    uri = location.uri
    request: dict[str, Any] = {"Bucket": location.bucket, "Key": location.key}
    if if_none_match is not None:
        request["IfNoneMatch"] = if_none_match
    make_parents(path.parent, uri)
    try:
        with translated("GetObject", uri, not_found=(uri,)):
            response = client.get_object(**request)
    except FetchError as exc:
        if if_none_match is not None and _is_not_modified(exc.__cause__):
            return None
        raise
    body = response["Body"]
    try:
        size = int(response["ContentLength"])
        _check_space(uri, path.parent, size, free_space)
        with translated("GetObject", uri, not_found=(uri,)):
            _write_atomically(
                body, path, size, uri, _Deadline(deadline, timeout, timer), chunk_size
            )
    finally:
        body.close()
    return Download(path, response.get("ETag"), size)


def make_parents(folder: Path, uri: str) -> None:
    """Create the copy's folder and its missing parents, each with mode 0700."""
    missing = [folder, *folder.parents]
    try:
        for parent in reversed(missing[: next(i for i, p in enumerate(missing) if p.exists())]):
            parent.mkdir(mode=FOLDER_MODE, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"GetObject: cannot create {folder} for {uri} ({exc.strerror})") from exc


def _is_not_modified(exc: BaseException | None) -> bool:
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 304 or response.get("Error", {}).get("Code") in ("304", "NotModified")


def _check_space(uri: str, folder: Path, size: int, free_space: FreeSpace) -> None:
    free = free_space(folder)
    if size > free:
        raise FetchError(
            f"GetObject: {uri} is {size} bytes but only {free} bytes are free in {folder}; "
            "the previous copy, if any, is kept"
        )


@dataclass(frozen=True)
class _Deadline:
    at: float
    seconds: float
    timer: Timer

    def check(self, uri: str, written: int, size: int) -> None:
        if self.timer() > self.at:
            raise FetchError(
                f"GetObject: {uri} body not complete after {self.seconds:g}s "
                f"({written} of {size} bytes); the previous copy, if any, is kept",
                transient=True,
            )


def _write_atomically(
    body: Any, path: Path, size: int, uri: str, deadline: _Deadline, chunk_size: int
) -> None:
    """Stream `body` to a new temporary file beside `path`, check its length, rename it."""
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    temp = None
    try:
        temp = shared.create_temporary(dir_fd, temporary_stem(path))
        fd = os.open(temp, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        written = 0
        with os.fdopen(fd, "wb") as stream:
            for chunk in _chunks(body, chunk_size, size):
                stream.write(chunk)
                written += len(chunk)
                deadline.check(uri, written, size)
            stream.flush()
            os.fsync(stream.fileno())
        if written != size:
            raise FetchError(
                f"GetObject: {uri} body ended after {written} of {size} bytes", transient=True
            )
        os.replace(temp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        temp = None
    except OSError as exc:
        transient = exc.errno in _NO_SPACE
        reason = "no space left" if transient else (exc.strerror or type(exc).__name__)
        raise FetchError(
            f"GetObject: cannot write the copy of {uri} in {path.parent} ({reason}); "
            "the previous copy, if any, is kept",
            transient=transient,
        ) from exc
    finally:
        if temp is not None:
            shared.remove_quietly(dir_fd, temp)
        os.close(dir_fd)


def _chunks(body: Any, chunk_size: int, size: int) -> Iterator[bytes]:
    """The body's bytes as they arrive: `read1` returns what came, so a drip cannot stall a chunk.

    botocore's own `iter_chunks` waits for whole chunks; over urllib3 the raw
    stream is read directly and its errors are translated here as botocore would.
    """
    raw: Any = getattr(body, "_raw_stream", None)
    if not hasattr(raw, "read1") or not hasattr(raw, "release_conn"):
        yield from body.iter_chunks(chunk_size)
        return
    from botocore.exceptions import IncompleteReadError, ResponseStreamingError
    from urllib3.exceptions import HTTPError

    received = 0
    while True:
        try:
            chunk = raw.read1(chunk_size)
        except HTTPError as exc:
            raise ResponseStreamingError(error=exc) from exc
        if not chunk:
            if received != size:
                raise IncompleteReadError(actual_bytes=received, expected_bytes=size)
            return
        received += len(chunk)
        yield chunk


# -- one download per copy, for every process, thread and provider ----------------


@dataclass(frozen=True)
class Copy:
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


@dataclass(frozen=True)
class CopyOptions:
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
    store = shared.SharedStore(options.state_folder, lock_timeout=options.timeout + 30.0)
    key = "s3:" + os.fsdecode(path)
    with store.session([key], location.uri) as session:
        current = _current(session.read(key), path)
        now = clock()
        if current is not None and (
            current.done_at > since
            or (max_age is not None and 0 <= now - current.fetched_at < max_age)
        ):
            return current
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
        shared.keep(session, key, shared.Record(began, _describe(copy)))
        return copy


def expire_copy(path: Path, before: float, state_folder: Path | None = None) -> None:
    """Make the copy's record stale if it was fetched at or before `before`; keep its ETag.

    The next caller then asks S3 again, conditionally: an unchanged object costs no body.
    """
    store = shared.SharedStore(state_folder)
    key = "s3:" + os.fsdecode(path)
    with store.session([key], os.fsdecode(path)) as session:
        record = session.read(key)
        if record is not None and record.fetched_at <= before and isinstance(record.value, dict):
            stale = dict(record.value, done_at=repr(-math.inf))
            shared.keep(session, key, shared.Record(-math.inf, stale))


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


def _describe(copy: Copy) -> dict[str, Any]:
    info = os.stat(copy.path)
    return {
        "etag": copy.etag or "",
        "size": str(copy.size),
        "done_at": repr(copy.done_at),
        "file": f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}",
    }


def _current(record: shared.Record | None, path: Path) -> Copy | None:
    """What the shared folder says of the copy, if the file is still the one it describes."""
    if record is None or not isinstance(record.value, dict):
        return None
    meta = record.value
    try:
        info = os.stat(path)
        if meta.get("file") != f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}":
            return None
        return Copy(
            path, meta["etag"] or None, int(meta["size"]), record.fetched_at, float(meta["done_at"])
        )
    except (OSError, KeyError, ValueError):
        return None


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
                shared.remove_quietly(dir_fd, name)
    finally:
        os.close(dir_fd)
