"""`AwsClients`: a container of lazily created boto3 clients sharing one session."""

from __future__ import annotations

from dependency_injector import containers, providers

from .fetchers.clients import lambda_config, new_client, new_session


class AwsClients(containers.DeclarativeContainer):
    """One boto3 session and one client per service, each created on first use.

    Override `session` (say, with a session for another region or profile) or
    `config` (a botocore `Config`) before the first call to change them.
    """

    session = providers.Singleton(new_session)
    config = providers.Singleton(lambda_config)
    ssm = providers.Singleton(new_client, session, "ssm", config)
    secretsmanager = providers.Singleton(new_client, session, "secretsmanager", config)
    s3 = providers.Singleton(new_client, session, "s3", config)
