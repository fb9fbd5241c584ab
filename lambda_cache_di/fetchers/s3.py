"""S3 fetcher: one GetObject streamed to a temporary file beside the copy, then renamed.

A reader never sees a partial file and a failed download leaves the previous
copy as it was. With an ETag, the request is conditional (`If-None-Match`):
an unchanged object answers 304 and transfers no body. Also here: where a copy
lives and how its file is named. `s3_copy.py` runs one download per copy at a
time across processes on top of `download`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ..core.environment import shared_folder
from ..core.names import S3Location
from ..core.private_folder import create_temporary, remove_quietly
from ..errors import ConfigurationError, FetchError
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
    return shared_folder()


def free_bytes(folder: Path) -> int:
    """Bytes free on the file system that holds `folder`."""
    return shutil.disk_usage(folder).free


def local_file_name(location: S3Location, origin: str = "") -> str:
    """A file name unique to bucket, key and origin that holds no separator and no leading dot.

    A short SHA-256 of the URI and of the client's origin (`clients.client_origin`:
    region, endpoint, identity) keeps apart same-named objects of two buckets,
    prefixes, endpoints or accounts; the key's last segment, reduced to safe
    characters, keeps the name readable.
    """
    named = location.uri if not origin else f"{location.uri}\n{origin}"
    digest = hashlib.sha256(named.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    basename = _UNSAFE.sub("_", location.key.rsplit("/", 1)[-1]).lstrip(".")
    return f"{digest}-{basename[-_MAX_BASENAME_CHARS:] or 'object'}"


def default_local_path(directory: Path, location: S3Location, origin: str = "") -> Path:
    """Where the copy of `location` (from `origin`) goes in `directory`; never outside it."""
    path = directory / local_file_name(location, origin)
    if path.resolve().parent != directory.resolve():
        raise ConfigurationError(f"{location.uri} would be stored outside {directory}")
    return path


def temporary_stem(path: Path) -> str:
    """The short stem of the temporary files of `path`: 16 hex digits, whatever its length."""
    return hashlib.sha256(os.fsencode(path)).hexdigest()[:_DIGEST_CHARS]


class Download(NamedTuple):
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
        # A full disk may free up (another copy replaced, /tmp cleaned): transient, so a
        # stale copy may be served meanwhile, as for a disk that fills during the write.
        raise FetchError(
            f"GetObject: {uri} is {size} bytes but only {free} bytes are free in {folder}; "
            "the previous copy, if any, is kept",
            transient=True,
        )


class _Deadline(NamedTuple):
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
        temp = create_temporary(dir_fd, temporary_stem(path))
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
            remove_quietly(dir_fd, temp)
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
