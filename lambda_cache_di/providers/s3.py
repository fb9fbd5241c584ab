"""The S3 provider: an object copied to a local file, refreshed after it expires."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..fetchers import s3
from ..fetchers.s3 import FreeSpace, free_bytes
from ..names import S3Location, parse_s3_uri
from .base import CachedProvider, CacheOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack


class S3File(CachedProvider[Any]):
    """An S3 object as a local file: the provider returns the `pathlib.Path` of the copy.

    The copy lies under `directory` (by default `lambda-cache-di` in the temp
    folder, Lambda's `/tmp`) in a file named after the bucket and key, or
    exactly at `local_path`. With `check_before_download`, an expired copy
    costs one conditional GetObject that transfers no body when the object is
    unchanged. Each call checks that the file still exists (one `stat`), and
    downloads it again when someone removed it. `uri` may be a provider,
    resolved on first use. A `transform` callable gets the `Path` once per
    download (an unchanged object keeps its transformed value), and what it
    returns is what the provider returns.
    """

    __slots__ = (
        "_check_before_download",
        "_directory",
        "_etag",
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

    def __init__(
        self,
        uri: str | Any,
        check_before_download: bool = True,
        local_path: str | os.PathLike[str] | None = None,
        *,
        directory: str | os.PathLike[str] | None = None,
        free_space: FreeSpace = free_bytes,
        **options: Unpack[CacheOptions],
    ) -> None:
        if not isinstance(check_before_download, bool):
            raise ConfigurationError(
                f"check_before_download must be True or False, not {check_before_download!r}"
            )
        if not callable(free_space):
            raise ConfigurationError("free_space must be a callable taking a folder")
        self._check_before_download = check_before_download
        self._directory = (
            s3.default_directory() if directory is None else _check_path(directory, "directory")
        )
        self._given_local_path = None if local_path is None else _check_file_path(local_path)
        self._free_space = free_space
        self._etag: str | None = None
        self._last_transformed: tuple[Any] | None = None
        super().__init__(uri, **options)

    def _define(self, value: Any) -> None:
        self._location = parse_s3_uri(value, "uri")
        self._local_path = self._given_local_path or s3.default_local_path(
            self._directory, self._location
        )
        self._local_path_text = str(self._local_path)

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
        """Where the local copy is (or will be) written."""
        self.resolve()
        return self._local_path

    @property
    def check_before_download(self) -> bool:
        """Whether an expired copy is refreshed by a conditional request."""
        return self._check_before_download

    @property
    def directory(self) -> Path:
        """The folder for copies without a `local_path`."""
        return self._directory

    def _describe(self) -> str:
        return self._location.uri

    def _arguments(self) -> dict[str, Any]:
        return {
            "check_before_download": self._check_before_download,
            "local_path": self._given_local_path,
            "directory": self._directory,
            "free_space": self._free_space,
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
        path = self._local_path
        etag = self._etag if self._check_before_download and path.exists() else None
        result = s3.download(
            client, self._location, path, if_none_match=etag, free_space=self._free_space
        )
        if result is not None:
            self._etag = result.etag
            self._last_transformed = None  # made from the old copy: transform again
        return path

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
    return Path(_path_text(value, argument)).absolute()


def _check_file_path(value: object) -> Path:
    text = _path_text(value, "local_path")
    path = Path(text).absolute()
    if text.endswith(("/", os.sep)) or os.path.basename(text) in ("", ".", ".."):
        raise ConfigurationError(f"local_path {text!r} names a folder, not a file")
    if path.is_dir():
        raise ConfigurationError(f"local_path {text!r} is an existing directory")
    return path
