"""The S3 provider: an object copied to a local file, refreshed after it expires."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.iam import Arns, IamGrant
from ..core.names import S3Location, parse_s3_uri
from ..core.shared import resolve_shared
from ..errors import ConfigurationError, LambdaCacheError
from ..fetchers import s3, s3_copy
from ..fetchers.s3 import FreeSpace, free_bytes
from .arguments import CacheOptions, check_seconds
from .base import CachedProvider

if TYPE_CHECKING:
    from typing_extensions import Unpack

S3_NOTE = (
    "note: s3:ListBucket is not included, so a missing object reads as AccessDenied, "
    "not NoSuchKey; objects encrypted with a customer managed KMS key also need kms:Decrypt."
)


class S3File(CachedProvider[Any]):
    """An S3 object as a local file: the provider returns the `pathlib.Path` of the copy.

    The copy lies under `directory` (by default the shared folder,
    `LAMBDA_CACHE_DI_DIR` or `lambda-cache-di-<uid>` in the temp folder, read at
    first use) in a file named after the bucket and key, or exactly at
    `local_path`. With `check_before_download`, an expired copy costs one
    conditional GetObject that transfers no body when the object is unchanged.
    The body must arrive within `download_timeout_in_seconds`. One download per
    copy runs at a time across processes, threads and providers; the others wait
    and use it. Each call checks that the file still exists (one `stat`), and
    downloads it again when someone removed it. `uri` may be a provider,
    resolved on first use. A `transform` callable gets the `Path` once per
    download (an unchanged object keeps its transformed value), and what it
    returns is what the provider returns.
    """

    __slots__ = (
        "_check_before_download",
        "_copy_stamp",
        "_directory",
        "_download_timeout",
        "_free_space",
        "_given_local_path",
        "_last_transformed",
        "_local_path",
        "_local_path_text",
        "_location",
    )
    service = "s3"
    argument = "uri"
    noun = "S3 object"
    json_transform = False
    snapshot_safe = True  # an object is no secret: a SnapStart init may download it
    keeps_file = True
    iam_notes = (S3_NOTE,)

    def __init__(
        self,
        uri: str | Any,
        check_before_download: bool = True,
        local_path: str | os.PathLike[str] | None = None,
        *,
        directory: str | os.PathLike[str] | None = None,
        free_space: FreeSpace = free_bytes,
        download_timeout_in_seconds: float = s3.DEFAULT_DOWNLOAD_TIMEOUT,
        **options: Unpack[CacheOptions],
    ) -> None:
        if not isinstance(check_before_download, bool):
            raise ConfigurationError(
                f"check_before_download must be True or False, not {check_before_download!r}"
            )
        if not callable(free_space):
            raise ConfigurationError("free_space must be a callable taking a folder")
        self._check_before_download = check_before_download
        # None: the shared folder, looked up at first use (its variable may be set later).
        self._directory = None if directory is None else _check_path(directory, "directory")
        self._given_local_path = None if local_path is None else _check_file_path(local_path)
        self._local_path: Path | None = self._given_local_path
        self._local_path_text = ""
        self._free_space = free_space
        self._download_timeout = check_seconds(
            download_timeout_in_seconds, "download_timeout_in_seconds"
        )
        if self._download_timeout == 0:
            raise ConfigurationError("download_timeout_in_seconds must be > 0, not 0")
        self._copy_stamp: tuple[int, int, int] | None = None
        self._last_transformed: tuple[Any] | None = None
        super().__init__(uri, **options)

    def _define(self, value: Any) -> None:
        self._location = parse_s3_uri(value, "uri")

    def _ready_provide(self) -> Any:
        # Replaces the base's direct binding to the entry: S3File adds a stat per call.
        return self._provide_existing_file

    @property
    def location(self) -> S3Location:
        """The bucket and key of the object."""
        self.resolve()
        return self._location

    @property
    def local_path(self) -> Path:
        """Where the local copy is (or will be) written; fixed by the first fetch."""
        self.resolve()
        if self._local_path is not None:
            return self._local_path
        return s3.default_local_path(self.directory, self._location)

    @property
    def check_before_download(self) -> bool:
        """Whether an expired copy is refreshed by a conditional request."""
        return self._check_before_download

    @property
    def directory(self) -> Path:
        """The folder for copies without a `local_path` (the shared folder unless given)."""
        return s3.default_directory() if self._directory is None else self._directory

    @property
    def download_timeout_in_seconds(self) -> float:
        """How long the whole body of one download may take."""
        return self._download_timeout

    def _describe(self) -> str:
        return self._location.uri

    def _arguments(self) -> dict[str, Any]:
        return {
            "check_before_download": self._check_before_download,
            "local_path": self._given_local_path,
            "directory": self._directory,
            "free_space": self._free_space,
            "download_timeout_in_seconds": self._download_timeout,
        }

    def _provide_existing_file(self, args: object = None, kwargs: object = None) -> Any:
        """The cached value, after checking the file is still there (one stat per call)."""
        value = self._entry.get()
        # One stat per call, for S3File only: /tmp may have been cleaned under a fresh entry.
        if os.path.exists(self._local_path_text):
            return value
        self._entry.invalidate()
        return self._entry.get()

    def _fetch_with(self, client: Any) -> Path:
        return self._copy(None, client)[0]

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """`s3:GetObject` on the object."""
        resource = (arns.s3_object(self.location.bucket, self.location.key),)
        return [IamGrant("ReadS3Objects", ("s3:GetObject",), resource)]

    def _load(self, force: bool) -> tuple[Any, float]:
        """Copies share through the copy's own lock and record, not through a SharedValue."""
        shared = resolve_shared(self.shared, not self.holds_secrets)
        max_age = None if force or not shared else self.max_age_in_seconds
        path, fetched_at = self._entry.fetch_waiting(lambda: self._copy(max_age))
        return self._finish(path), fetched_at

    def _forget(self, before: float) -> None:
        if self._local_path is not None:
            with suppress(LambdaCacheError, OSError):
                s3_copy.expire_copy(self._local_path, before)

    def _copy(self, max_age: float | None, client: Any = None) -> tuple[Path, float]:
        """The copy, downloaded unless another's arrived meanwhile or is younger than `max_age`."""
        self.resolve()
        client = self.resolve_client() if client is None else client
        path = self._local_path = self.local_path
        self._local_path_text = str(path)
        options = s3_copy.CopyOptions(
            check_before_download=self._check_before_download,
            free_space=self._free_space,
            timeout=self._download_timeout,
        )
        since = time.monotonic()
        copy = s3_copy.fetch_copy(
            client, self._location, path, options, clock=self.clock, since=since, max_age=max_age
        )
        info = os.stat(path)
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        if stamp != self._copy_stamp:
            self._copy_stamp = stamp
            self._last_transformed = None  # made from another copy: transform again
        return path, copy.fetched_at

    def _transformed(self, raw: Any) -> Any:
        """Transform a new download; an unchanged object keeps the value made from it."""
        if self._transform is None:
            return raw
        if self._last_transformed is None:
            self._last_transformed = (super()._transformed(raw),)
        return self._last_transformed[0]


def _path_text(value: object, argument: str) -> str:
    text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not isinstance(text, str) or not text:
        raise ConfigurationError(
            f"{argument} must be a non-empty str or path, not {type(value).__name__}"
        )
    return text


def _check_path(value: object, argument: str) -> Path:
    """An absolute path whose text and every component the file system accepts."""
    text = _path_text(value, argument)
    if "\0" in text:
        raise ConfigurationError(f"{argument} must not hold a NUL character")
    path = Path(text).absolute()
    limit = _name_max(path)
    for part in path.parts:
        if len(os.fsencode(part)) > limit:
            raise ConfigurationError(
                f"{argument} has a component of {len(os.fsencode(part))} bytes; "
                f"the file system takes at most {limit}"
            )
    return path


def _check_file_path(value: object) -> Path:
    path = _check_path(value, "local_path")
    text = _path_text(value, "local_path")
    if text.endswith(("/", os.sep)) or os.path.basename(text) in ("", ".", ".."):
        raise ConfigurationError(f"local_path {text!r} names a folder, not a file")
    if path.is_dir():
        raise ConfigurationError(f"local_path {text!r} is an existing directory")
    return path


def _name_max(folder: Path) -> int:
    """The longest file name the file system of `folder` (or its nearest existing parent) takes."""
    for candidate in (folder, *folder.parents):
        try:
            return int(os.pathconf(candidate, "PC_NAME_MAX"))
        except (OSError, ValueError):
            continue
    return 255
