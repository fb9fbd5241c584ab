"""Secrets Manager fetcher: GetSecretValue, BatchGetSecretValue by id list.

Which operation reads a set of secrets (see docs/throttling.md): one secret is
read with GetSecretValue (10,000 requests a second per account and region);
several with BatchGetSecretValue, twenty to a call (fewer billed requests), while
its quota answers (100 a second, not adjustable). When a batch is throttled, its
secrets are read at once with concurrent GetSecretValue calls, and that client
sends no batch for `BATCH_REST_SECONDS`. Either way a refresh is one round trip
(two when a batch is refused).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import Any

from ..core.names import SecretId, strip_arn_suffix
from ..errors import FetchError, LambdaCacheError, NotFoundError
from .errors import (
    NOT_FOUND_CODES,
    TRANSIENT_CODES,
    error_code,
    incomplete,
    throttling_code,
    translated,
)
from .groups import map_groups

BATCH_GET_SECRET_VALUE_LIMIT = 20
# After a throttled BatchGetSecretValue: how long this process reads secrets one by one.
BATCH_REST_SECONDS = 60.0

SecretValue = str | bytes

logger = logging.getLogger(__name__)


class _BatchQuota:
    """Whether a client may send BatchGetSecretValue now (not right after it was throttled).

    Kept beside each client (weakly: it goes with the client), as the client is
    what stands for an account and region; nothing else about it is stored.
    """

    def __init__(self) -> None:
        self._resting_until: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def open(self, client: Any) -> bool:
        with self._lock:
            try:
                return time.monotonic() >= self._resting_until.get(client, 0.0)
            except TypeError:  # a client that cannot be weakly referenced: always open
                return True

    def throttled(self, client: Any) -> None:
        with self._lock, suppress(TypeError):
            self._resting_until[client] = time.monotonic() + BATCH_REST_SECONDS

    def reset(self) -> None:
        """Forget every throttled batch (for tests)."""
        with self._lock:
            self._resting_until.clear()


batch_quota = _BatchQuota()


def secret_value(entry: dict[str, Any], resource: str, operation: str) -> SecretValue:
    """The plain value of a response entry: SecretString as `str`, SecretBinary as `bytes`."""
    if "SecretString" in entry:
        text: str = entry["SecretString"]
        return text
    if "SecretBinary" in entry:
        return bytes(entry["SecretBinary"])
    raise incomplete(operation, resource, "SecretString or SecretBinary")


def get_secret_value(
    client: Any,
    secret: SecretId,
    version_stage: str | None = None,
    version_id: str | None = None,
) -> SecretValue:
    """One secret, at `version_stage` or `version_id` when given, else AWSCURRENT."""
    request: dict[str, str] = {"SecretId": secret.id}
    if version_stage is not None:
        request["VersionStage"] = version_stage
    if version_id is not None:
        request["VersionId"] = version_id
    described = _describe(request)
    logger.debug("GetSecretValue %s", described)
    try:
        with translated("GetSecretValue", described, not_found=(secret.id,)):
            response = client.get_secret_value(**request)
    except NotFoundError as exc:
        if described == secret.id:
            raise
        # `names` holds the id alone; the message also says which version is missing.
        code = error_code(exc.__cause__) if exc.__cause__ else "ResourceNotFoundException"
        raise NotFoundError(
            exc.names, f"GetSecretValue: not found: {described} ({code})"
        ) from exc.__cause__
    return secret_value(response, secret.id, "GetSecretValue")


def batch_get_secret_values(
    client: Any, secrets: Sequence[SecretId]
) -> dict[SecretId, SecretValue]:
    """Many secrets at AWSCURRENT, in BatchGetSecretValue calls of at most twenty ids.

    Ids are sent as a `SecretIdList`, never as a name filter, which would
    match every secret whose name starts with one of them. Per-secret errors
    across all calls are gathered: if all are not-found, one NotFoundError
    lists every missing id; otherwise one FetchError names each failing id
    with its error code. Nothing partial is returned.
    """
    values, errors = batch_get_secret_values_found(client, secrets)
    if errors:
        # The error keeps this frame: the secrets that did arrive must not stay in it.
        del values
        raise batch_error(errors)
    return values


def batch_get_secret_values_found(
    client: Any, secrets: Sequence[SecretId]
) -> tuple[dict[SecretId, SecretValue], dict[SecretId, str]]:
    """The values that came back, and the error code of each id that failed (for prefetch)."""
    values: dict[SecretId, SecretValue] = {}
    errors: dict[SecretId, str] = {}
    groups = list(group_ids(secrets))
    logger.debug("BatchGetSecretValue: %d secrets in %d calls", sum(map(len, groups)), len(groups))
    # All calls at once (see groups.py): one refresh costs one round trip.
    for group_values, group_errors in map_groups(lambda group: _fetch_group(client, group), groups):
        values.update(group_values)
        errors.update(group_errors)
    for secret in secrets:
        if secret not in values and secret not in errors:
            errors[secret] = "ResourceNotFoundException"
    return values, errors


def group_ids(secrets: Sequence[SecretId]) -> Iterator[list[SecretId]]:
    """Split secrets, without repeats, into groups of at most twenty."""
    unique = list(dict.fromkeys(secrets))
    for start in range(0, len(unique), BATCH_GET_SECRET_VALUE_LIMIT):
        yield unique[start : start + BATCH_GET_SECRET_VALUE_LIMIT]


def _fetch_group(
    client: Any, group: list[SecretId]
) -> tuple[dict[SecretId, SecretValue], dict[SecretId, str]]:
    """Up to twenty secrets: one BatchGetSecretValue, or GetSecretValue calls at once.

    Single calls serve one secret, and any group while the batch quota rests.
    """
    if len(group) > 1 and batch_quota.open(client):
        try:
            return _fetch_batch(client, group)
        except FetchError as exc:
            if not exc.throttled:
                raise
            logger.debug("BatchGetSecretValue throttled: %d secrets read one by one", len(group))
            batch_quota.throttled(client)
    return _fetch_singly(client, group)


def _fetch_singly(
    client: Any, group: list[SecretId]
) -> tuple[dict[SecretId, SecretValue], dict[SecretId, str]]:
    """GetSecretValue for each secret, all at once: values and error codes by id."""
    values: dict[SecretId, SecretValue] = {}
    codes: dict[SecretId, str] = {}

    def read(secret: SecretId) -> None:
        try:
            values[secret] = get_secret_value(client, secret)
        except LambdaCacheError as exc:
            cause = exc.__cause__
            codes[secret] = error_code(cause) if cause is not None else type(exc).__name__

    map_groups(read, group)
    # In the order asked, whichever call ended first: messages name them in that order.
    return values, {secret: codes[secret] for secret in group if secret in codes}


def _fetch_batch(
    client: Any, group: list[SecretId]
) -> tuple[dict[SecretId, SecretValue], dict[SecretId, str]]:
    """One id list, following NextToken: values and error codes by requested id."""
    values: dict[SecretId, SecretValue] = {}
    errors: dict[SecretId, str] = {}
    ids = [secret.id for secret in group]
    by_id = {secret.id: secret for secret in group}
    request: dict[str, Any] = {"SecretIdList": ids}
    while True:
        with translated("BatchGetSecretValue", ", ".join(ids), not_found=tuple(ids)):
            response = client.batch_get_secret_value(**request)
        if "SecretValues" not in response:
            raise incomplete("BatchGetSecretValue", ", ".join(ids), "SecretValues")
        for entry in response["SecretValues"]:
            for secret in _requested_by(group, entry):
                values[secret] = secret_value(entry, secret.id, "BatchGetSecretValue")
        for error in response.get("Errors", []):
            code = str(error.get("ErrorCode") or "UnknownError")
            for failed in _failed_ids(group, by_id, str(error.get("SecretId", ""))):
                errors[failed] = code
        token = response.get("NextToken")
        if not token or token == request.get("NextToken"):
            # AWS does not page an id list; a repeated token would loop forever.
            return values, errors
        request = {"SecretIdList": ids, "NextToken": token}


def _requested_by(group: list[SecretId], entry: dict[str, Any]) -> list[SecretId]:
    """The requested ids an entry answers: by name, by complete ARN, or by partial ARN."""
    name = entry.get("Name", "")
    arn = entry.get("ARN", "")
    return [secret for secret in group if _matches(secret.id, name, arn)]


def _failed_ids(group: list[SecretId], by_id: dict[str, SecretId], failed: str) -> list[SecretId]:
    """The requested ids an error names: AWS echoes the id as sent, else match it as an ARN."""
    if failed in by_id:
        return [by_id[failed]]
    return [secret for secret in group if _matches(secret.id, failed, failed)]


def _matches(requested: str, name: str, arn: str) -> bool:
    if requested in (name, arn):
        return True
    # A partial ARN lacks the "-" and six characters AWS appends to the name.
    return requested.startswith("arn:") and strip_arn_suffix(arn) == requested


def batch_error(errors: dict[SecretId, str]) -> NotFoundError | FetchError:
    """One error for every failed id: NotFoundError when all are missing, else FetchError."""
    missing = [secret.id for secret, code in errors.items() if code in NOT_FOUND_CODES]
    if len(missing) == len(errors):
        return NotFoundError(
            missing, f"BatchGetSecretValue: secrets not found: {', '.join(missing)}"
        )
    failures = ", ".join(f"{secret.id} ({code})" for secret, code in errors.items())
    transient = all(code in TRANSIENT_CODES for code in errors.values())
    throttled = all(throttling_code(code) for code in errors.values())
    return FetchError(
        f"BatchGetSecretValue failed for {failures}", transient=transient, throttled=throttled
    )


def _describe(request: dict[str, str]) -> str:
    extras = [f"{key}={value}" for key, value in request.items() if key != "SecretId"]
    return request["SecretId"] + (f" ({', '.join(extras)})" if extras else "")
