"""`AwsClients`: a container of lazily created boto3 clients sharing one session."""

from __future__ import annotations

from dependency_injector import containers, providers

from .fetchers.clients import lambda_config, new_client, new_session


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
    dynamodb = providers.ThreadSafeSingleton(new_client, session, "dynamodb", config)
    # For `CachedCall`: any other service is one such line in a container of your own.
    sts = providers.ThreadSafeSingleton(new_client, session, "sts", config)
    kms = providers.ThreadSafeSingleton(new_client, session, "kms", config)
