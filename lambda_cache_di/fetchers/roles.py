"""A boto3 session whose clients sign as an assumed IAM role, refreshed by botocore itself.

The credentials are botocore's `DeferredRefreshableCredentials` over its
`AssumeRoleCredentialFetcher`: nothing is asked of STS until the first
request, and botocore assumes the role again as the credentials near their
expiry (from 15 minutes before it), under its own lock. No timer of ours.
The STS client that makes the AssumeRole call comes from the base session,
so it signs as the function's own role.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigurationError

DEFAULT_SESSION_NAME = "lambda-cache-di"
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_MIN_DURATION, _MAX_DURATION = 900, 43200


def check_role_arn(value: object) -> str:
    """An IAM role ARN: `arn:<partition>:iam::<account>:role/<path and name>`."""
    if not isinstance(value, str) or not _ROLE_ARN.fullmatch(value):
        raise ConfigurationError(
            f"role_arn must be an IAM role ARN such as "
            f"'arn:aws:iam::123456789012:role/reader', not {value!r}"
        )
    return value


def check_session_name(value: object) -> str:
    """A role session name: 2 to 64 letters, digits and `+=,.@-`."""
    if not isinstance(value, str) or not _SESSION_NAME.fullmatch(value):
        raise ConfigurationError(
            f"session_name must be 2-64 letters, digits or '+=,.@-_', not {value!r}"
        )
    return value


def check_external_id(value: object) -> str | None:
    """None, or an external id: 2 to 1224 letters, digits and `+=,.@:/-`."""
    if value is None:
        return None
    if not isinstance(value, str) or not _EXTERNAL_ID.fullmatch(value):
        # The external id is a shared secret of sorts: never repeat it.
        raise ConfigurationError("external_id must be 2-1224 letters, digits or '+=,.@:/-_'")
    return value


def check_duration(value: object) -> int | None:
    """None (STS's default, one hour), or 900 to 43200 seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"duration_seconds must be an int, not {value!r}")
    if not _MIN_DURATION <= value <= _MAX_DURATION:
        raise ConfigurationError(f"duration_seconds must be 900 to 43200, not {value}")
    return value


def assumed_role_session(
    base_session: Any,
    role_arn: str,
    *,
    external_id: str | None = None,
    session_name: str = DEFAULT_SESSION_NAME,
    duration_seconds: int | None = None,
    region: str | None = None,
    config: Any = None,
) -> Any:
    """A boto3 session signing as `role_arn`, assumed with `base_session`'s credentials."""
    import boto3
    import botocore.session
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        CredentialResolver,
        DeferredRefreshableCredentials,
    )

    extra_args: dict[str, Any] = {"RoleSessionName": check_session_name(session_name)}
    if check_external_id(external_id) is not None:
        extra_args["ExternalId"] = external_id
    if check_duration(duration_seconds) is not None:
        extra_args["DurationSeconds"] = duration_seconds
    region = region or base_session.region_name

    def sts_client(service: str, **kwargs: Any) -> Any:
        # The fetcher passes the base credentials; the base session's settings do the rest.
        return base_session.client(service, region_name=region, config=config, **kwargs)

    fetcher = AssumeRoleCredentialFetcher(
        sts_client,
        base_session.get_credentials(),
        check_role_arn(role_arn),
        extra_args=extra_args,
    )
    credentials = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
    core = botocore.session.Session()
    # The public way to give a botocore session its credentials: a resolver of one provider.
    core.register_component("credential_provider", CredentialResolver([_Given(credentials)]))
    return boto3.session.Session(botocore_session=core, region_name=region)


class _Given:
    """A botocore credential provider that hands out credentials made elsewhere."""

    METHOD = "assume-role"
    CANONICAL_NAME = "lambda-cache-di-assume-role"

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials

    def load(self) -> Any:
        """The credentials (botocore's resolver calls this once per session)."""
        return self.credentials
