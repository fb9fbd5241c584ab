"""The container of the Powertools examples: a table name and an API key, declared once.

Each handler module creates its own instance and wires only itself, so the
three examples share this one class.
"""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, Secret, SSMParameter


class PowertoolsValues(containers.DeclarativeContainer):
    """A table name and an API key, cached across invocations."""

    aws = providers.Container(AwsClients)
    table_name = SSMParameter("/prod/web/table", max_age_in_seconds=300, client=aws.ssm)
    api_key = Secret("prod/web/api_key", client=aws.secretsmanager)
