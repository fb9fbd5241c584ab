"""Secrets Manager providers: one secret (at a stage or version), or a group as one dict."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.iam import KMS_NOTE, Arns, IamGrant
from ..core.names import SecretId, keyed, parse_secret_id
from ..core.shared import BatchAnswer
from ..errors import ConfigurationError, LambdaCacheError
from ..fetchers import secrets
from .arguments import AgeOptions
from .base import CachedProvider

if TYPE_CHECKING:
    from typing_extensions import Unpack

_VERSION_ID = re.compile(r"[A-Za-z0-9\-]{32,64}")
_MAX_STAGE_LENGTH = 256
# BatchGetSecretValue takes no resource but `*`; AWS still checks GetSecretValue per secret.
_BATCH_GRANT = ("BatchReadSecrets", ("secretsmanager:BatchGetSecretValue",), ("*",))


def _read_grant(arns: Arns, ids: list[SecretId]) -> IamGrant:
    resources = tuple(arn for secret in ids for arn in arns.secrets(secret))
    return IamGrant("ReadSecrets", ("secretsmanager:GetSecretValue",), resources)


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
    """One secret: `str` (SecretString), `bytes` (SecretBinary), or what `transform` makes of it.

    `version_stage` or `version_id` picks a version other than AWSCURRENT.
    `secret_id` may be a provider (`config.db_secret`), resolved on first use.
    The transform runs at fetch (`"json"` parses the document), so a value it
    refuses raises TransformError and nothing is cached. Its result is shared
    by every call until it expires: treat it as read-only.
    """

    __slots__ = ("_secret_id", "_version_id", "_version_stage")
    service = "secretsmanager"
    holds_secrets = True  # in process memory unless shared=True; dropped before a snapshot
    argument = "secret_id"
    noun = "secret"
    iam_notes = (KMS_NOTE,)

    def __init__(
        self,
        secret_id: str | Any,
        transform: Any = None,
        version_stage: str | None = None,
        version_id: str | None = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        self._version_stage = check_version_stage(version_stage)
        self._version_id = check_version_id(version_id)
        super().__init__(secret_id, transform=transform, **options)

    def _define(self, value: Any) -> None:
        self._secret_id = parse_secret_id(value, "secret_id")

    @property
    def secret_id(self) -> SecretId:
        """The secret's name or ARN, resolved first if it was given as a provider."""
        self.resolve()
        return self._secret_id

    @property
    def version_stage(self) -> str | None:
        """The version stage asked for, or None when none was given."""
        return self._version_stage

    @property
    def version_id(self) -> str | None:
        """The version id asked for, or None when none was given."""
        return self._version_id

    @property
    def batchable(self) -> bool:
        """Whether `prefetch` may read it in a BatchGetSecretValue call (AWSCURRENT only)."""
        return self._version_id is None and self._version_stage in (None, "AWSCURRENT")

    def _describe(self) -> str:
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

    def _arguments(self) -> dict[str, Any]:
        return {"version_stage": self._version_stage, "version_id": self._version_id}

    def _fetch_with(self, client: Any) -> Any:
        return secrets.get_secret_value(
            client, self._secret_id, self._version_stage, self._version_id
        )

    def batch_key(self) -> Hashable | None:
        """The secret id at AWSCURRENT: prefetch may read it with others in one round trip."""
        return self.secret_id if self.batchable else None

    @classmethod
    def fetch_batch(cls, client: Any, keys: list[Any]) -> BatchAnswer:
        """Secrets at AWSCURRENT in one round trip; each failed id's own error.

        A single secret is read with GetSecretValue (10,000 requests a second per
        account, against BatchGetSecretValue's 100): one request either way.
        """
        if len(keys) == 1:
            try:
                return {keys[0]: secrets.get_secret_value(client, keys[0])}, {}
            except LambdaCacheError as exc:
                return {}, {keys[0]: exc}
        values, codes = secrets.batch_get_secret_values_found(client, keys)
        return values, {key: secrets.batch_error({key: code}) for key, code in codes.items()}

    @classmethod
    def batch_grant(cls, arns: Arns) -> IamGrant:
        """`secretsmanager:BatchGetSecretValue` on `*`, for prefetch's batches of secrets."""
        return IamGrant(*_BATCH_GRANT)

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """`secretsmanager:GetSecretValue` on the secret (names get AWS's `-??????`)."""
        return [_read_grant(arns, [self.secret_id])]


class Secrets(CachedProvider[dict[str, Any]]):
    """Several secrets at AWSCURRENT as one dict, in one round trip.

    Read in BatchGetSecretValue calls of at most twenty while that quota answers,
    else with concurrent GetSecretValue calls (see `fetchers.secrets`).

    Keys are the last path segment of each secret's name (for an ARN, of the
    name without AWS's `-XXXXXX` suffix), or the keys of a mapping `{key: id}`.
    `transform` applies to each value; one value it refuses fails the lot.
    """

    __slots__ = ("_keyed",)
    service = "secretsmanager"
    holds_secrets = True  # in process memory unless shared=True; dropped before a snapshot
    argument = "ids"
    noun = "secret"
    per_value = True
    iam_notes = (KMS_NOTE,)

    def __init__(
        self,
        ids: Sequence[str] | Mapping[str, str] | Any,
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        super().__init__(ids, transform=transform, **options)

    def _define(self, value: Any) -> None:
        self._keyed = keyed(value, parse_secret_id, "ids")

    @property
    def ids(self) -> dict[str, SecretId]:
        """Result key to secret id."""
        self.resolve()
        return dict(self._keyed)

    def _describe(self) -> str:
        return ", ".join(secret.id for secret in self._keyed.values())

    def _member(self, key: str) -> str:
        return f"secret {self._keyed[key].id}"

    def _fetch_with(self, client: Any) -> dict[str, Any]:
        values = secrets.batch_get_secret_values(client, list(self._keyed.values()))
        return {key: values[secret] for key, secret in self._keyed.items()}

    def _share_keys(self) -> list[str]:
        return list(self._keyed)

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """`GetSecretValue` on each secret, and `BatchGetSecretValue` (on `*`) for the batch."""
        return [_read_grant(arns, list(self.ids.values())), IamGrant(*_BATCH_GRANT)]
