"""`AwsClients` and `AssumedRoleClients`: containers of lazily created boto3 clients."""

from __future__ import annotations

from dependency_injector import containers, providers

from .fetchers.clients import lambda_config, new_client, new_session
from .fetchers.roles import DEFAULT_SESSION_NAME, assumed_role_session


class AwsClients(containers.DeclarativeContainer):
    """One boto3 session and one client per service, each created once on first use (thread-safe).

    Override `session` (say, with a session for another region or profile) or
    `config` (a botocore `Config`) before the first call to change them.
    """

    session = providers.ThreadSafeSingleton(new_session)
    config = providers.ThreadSafeSingleton(lambda_config)
    ssm = providers.ThreadSafeSingleton(new_client, session, "ssm", config)
    secretsmanager = providers.ThreadSafeSingleton(new_client, session, "secretsmanager", config)
    s3 = providers.ThreadSafeSingleton(new_client, session, "s3", config)
    appconfigdata = providers.ThreadSafeSingleton(new_client, session, "appconfigdata", config)
    dynamodb = providers.ThreadSafeSingleton(new_client, session, "dynamodb", config)
    # For `CachedCall`: any other service is one such line in a container of your own.
    sts = providers.ThreadSafeSingleton(new_client, session, "sts", config)
    kms = providers.ThreadSafeSingleton(new_client, session, "kms", config)


class AssumedRoleClients(containers.DeclarativeContainer):
    """The clients of `AwsClients`, signing as the IAM role `role_arn` (another account's, say).

    `AssumedRoleClients(role_arn="arn:aws:iam::210987654321:role/reader")`;
    `external_id`, `session_name`, `duration_seconds` and `region` are optional.
    The role is assumed on the first request with `base_session`'s credentials
    (the function's own role), and assumed again by botocore as the
    credentials near their expiry.
    """

    role_arn = providers.Dependency(instance_of=str)
    external_id: providers.Provider[str | None] = providers.Object(None)
    session_name = providers.Object(DEFAULT_SESSION_NAME)
    duration_seconds: providers.Provider[int | None] = providers.Object(None)
    region: providers.Provider[str | None] = providers.Object(None)
    base_session = providers.ThreadSafeSingleton(new_session)
    config = providers.ThreadSafeSingleton(lambda_config)
    session = providers.ThreadSafeSingleton(
        assumed_role_session,
        base_session,
        role_arn,
        external_id=external_id,
        session_name=session_name,
        duration_seconds=duration_seconds,
        region=region,
        config=config,
    )
    ssm = providers.ThreadSafeSingleton(new_client, session, "ssm", config)
    secretsmanager = providers.ThreadSafeSingleton(new_client, session, "secretsmanager", config)
    s3 = providers.ThreadSafeSingleton(new_client, session, "s3", config)
    appconfigdata = providers.ThreadSafeSingleton(new_client, session, "appconfigdata", config)
    dynamodb = providers.ThreadSafeSingleton(new_client, session, "dynamodb", config)
    sts = providers.ThreadSafeSingleton(new_client, session, "sts", config)
    kms = providers.ThreadSafeSingleton(new_client, session, "kms", config)
