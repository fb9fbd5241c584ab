"""Secrets Manager providers: one secret (at a stage or version), or a group as one dict."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, TransformError
from ..fetchers import secrets
from ..names import SecretId, keyed, parse_secret_id
from .base import CachedProvider, CacheOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

_VERSION_ID = re.compile(r"[A-Za-z0-9\-]{32,64}")
_MAX_STAGE_LENGTH = 256


def check_transform(transform: object) -> str | None:
    """None (the value as stored) or "json" (the parsed document)."""
    if transform is None or transform == "json":
        return transform
    raise ConfigurationError(f"transform must be None or 'json', not {transform!r}")


def check_version_stage(value: object) -> str | None:
    """None, or a staging label such as AWSCURRENT, AWSPREVIOUS or one of the user's."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_STAGE_LENGTH:
        raise ConfigurationError(
            f"version_stage must be a non-empty str of at most 256 characters, not {value!r}"
        )
    return value


def check_version_id(value: object) -> str | None:
    """None, or a version id: 32 to 64 letters, digits and hyphens."""
    if value is None:
        return None
    if not isinstance(value, str) or not _VERSION_ID.fullmatch(value):
        raise ConfigurationError(
            f"version_id must be 32-64 letters, digits or '-' (a version UUID), not {value!r}"
        )
    return value


class Secret(CachedProvider[Any]):
    """One secret: `str` (SecretString), `bytes` (SecretBinary), or parsed JSON.

    `version_stage` or `version_id` picks a version other than AWSCURRENT.
    With `transform="json"` the value is parsed at fetch, so a secret that is
    not JSON raises TransformError and nothing is cached. The parsed object is
    shared by every call until it expires: treat it as read-only.
    """

    __slots__ = ("_secret_id", "_transform", "_version_id", "_version_stage")
    service = "secretsmanager"
    shared_by_default = False

    def __init__(
        self,
        secret_id: str,
        transform: str | None = None,
        version_stage: str | None = None,
        version_id: str | None = None,
        **options: Unpack[CacheOptions],
    ) -> None:
        self._secret_id = parse_secret_id(secret_id, "secret_id")
        self._transform = check_transform(transform)
        self._version_stage = check_version_stage(version_stage)
        self._version_id = check_version_id(version_id)
        super().__init__(**options)

    @property
    def secret_id(self) -> SecretId:
        return self._secret_id

    @property
    def transform(self) -> str | None:
        return self._transform

    @property
    def version_stage(self) -> str | None:
        return self._version_stage

    @property
    def version_id(self) -> str | None:
        return self._version_id

    @property
    def batchable(self) -> bool:
        """Whether `prefetch` may read it in a BatchGetSecretValue call (AWSCURRENT only)."""
        return self._version_id is None and self._version_stage in (None, "AWSCURRENT")

    @property
    def resource(self) -> str:
        selectors = [
            f"{label}={value}"
            for label, value in (
                ("version_stage", self._version_stage),
                ("version_id", self._version_id),
            )
            if value is not None
        ]
        suffix = f" ({', '.join(selectors)})" if selectors else ""
        return self._secret_id.id + suffix

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self._secret_id.id,), {
            "transform": self._transform,
            "version_stage": self._version_stage,
            "version_id": self._version_id,
        }

    def _fetch_with(self, client: Any) -> Any:
        return self._finish(self._fetch_raw_with(client))

    def _fetch_raw(self) -> Any:
        return self._fetch_raw_with(self.resolve_client())

    def _fetch_raw_with(self, client: Any) -> Any:
        return secrets.get_secret_value(
            client, self._secret_id, self._version_stage, self._version_id
        )

    def _finish(self, raw: Any) -> Any:
        if self._transform != "json":
            return raw
        try:
            return secrets.parse_json(raw, self.resource)
        except TransformError:
            del raw  # the traceback keeps this frame: leave no secret in it
            raise


class Secrets(CachedProvider[dict[str, Any]]):
    """Several secrets at AWSCURRENT as one dict, in BatchGetSecretValue calls of at most twenty.

    Keys are the last path segment of each secret's name (for an ARN, of the
    name without AWS's `-XXXXXX` suffix), or the keys of a mapping `{key: id}`.
    `transform="json"` parses every value; one that is not JSON fails the lot.
    """

    __slots__ = ("_keyed", "_transform")
    service = "secretsmanager"
    shared_by_default = False

    def __init__(
        self,
        ids: Sequence[str] | Mapping[str, str],
        transform: str | None = None,
        **options: Unpack[CacheOptions],
    ) -> None:
        self._keyed = keyed(ids, parse_secret_id, "ids")
        self._transform = check_transform(transform)
        super().__init__(**options)

    @property
    def ids(self) -> dict[str, SecretId]:
        """Result key to secret id."""
        return dict(self._keyed)

    @property
    def transform(self) -> str | None:
        return self._transform

    @property
    def resource(self) -> str:
        return ", ".join(secret.id for secret in self._keyed.values())

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return ({key: secret.id for key, secret in self._keyed.items()},), {
            "transform": self._transform
        }

    def _fetch_with(self, client: Any) -> dict[str, Any]:
        return self._finish(self._fetch_raw_with(client))

    def _fetch_raw(self) -> Any:
        return self._fetch_raw_with(self.resolve_client())

    def _fetch_raw_with(self, client: Any) -> dict[str, Any]:
        values = secrets.batch_get_secret_values(client, list(self._keyed.values()))
        return {key: values[secret] for key, secret in self._keyed.items()}

    def _finish(self, raw: Any) -> dict[str, Any]:
        if self._transform != "json":
            return raw  # type: ignore[no-any-return]
        try:
            return {key: secrets.parse_json(raw[key], self._keyed[key].id) for key in self._keyed}
        except TransformError:
            del raw  # the traceback keeps this frame: leave no secret in it
            raise
