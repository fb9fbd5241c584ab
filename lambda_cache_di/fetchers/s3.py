"""S3 fetcher: one GetObject streamed to a temporary file in the target folder, then renamed.

A reader never sees a partial file and a failed download leaves the previous
copy as it was. With an ETag, the request is conditional (`If-None-Match`):
an unchanged object answers 304 and transfers no body.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, FetchError
from ..names import S3Location
from .errors import translated

CHUNK_SIZE = 1024 * 1024
FOLDER_MODE = 0o700
_DIGEST_CHARS = 16
_MAX_BASENAME_CHARS = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]")

FreeSpace = Callable[[Path], int]


def default_directory() -> Path:
    """The folder for copies without a `local_path`: `lambda-cache-di` in the temp folder."""
    return Path(tempfile.gettempdir()) / "lambda-cache-di"


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
) -> Download | None:
    """Copy the object to `path` with one GetObject; None when `if_none_match` still matches.

    The body streams in chunks of `chunk_size` into a temporary file beside
    `path`, which replaces `path` only once complete and flushed to disk.
    """
    uri = location.uri
    request: dict[str, Any] = {"Bucket": location.bucket, "Key": location.key}
    if if_none_match is not None:
        request["IfNoneMatch"] = if_none_match
    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
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
            _write_atomically(body, path, size, uri, chunk_size)
    finally:
        body.close()
    return Download(path, response.get("ETag"), size)


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


def _write_atomically(body: Any, path: Path, size: int, uri: str, chunk_size: int) -> None:
    """Stream `body` to a temporary file beside `path`, check its length, rename it onto `path`."""
    # A download cut short by the end of the process (an invocation timeout)
    # leaves its temporary file behind: sweep those first so /tmp never fills up.
    for leftover in path.parent.glob(f".{path.name}.*.part"):
        leftover.unlink(missing_ok=True)
    # mkstemp creates the file with mode 0600 already.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        written = 0
        with os.fdopen(fd, "wb") as temp:
            for chunk in body.iter_chunks(chunk_size):
                temp.write(chunk)
                written += len(chunk)
            temp.flush()
            os.fsync(temp.fileno())
        if written != size:
            raise FetchError(
                f"GetObject: {uri} body ended after {written} of {size} bytes", transient=True
            )
        os.replace(temp_name, path)
    except BaseException:
        os.unlink(temp_name)
        raise
