"""Names and ages from configuration, filled from the environment (docs/graph.md)."""

from dependency_injector import containers, providers

from examples.app.credentials import DbCredentials
from lambda_cache_di import AwsClients, Secret, SSMParameter


class ConfiguredApp(containers.DeclarativeContainer):
    """One container for every stage: the handler module fills `config` from the environment."""

    config = providers.Configuration()
    aws = providers.Container(AwsClients)
    # Resolved and checked on first use (a call, prefetch, iam-policy or check).
    table_name = SSMParameter(
        config.table_parameter, max_age_in_seconds=config.max_age, client=aws.ssm
    )
    # The JSON secret is validated once per fetch, not once per invocation.
    db_credentials = Secret(
        config.db_secret, transform=DbCredentials.model_validate_json, client=aws.secretsmanager
    )
