"""The container of the FastAPI example: a table name and an API key, cached across invocations."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, Secret, SSMParameter


class WebContainer(containers.DeclarativeContainer):
    """What the FastAPI routes read; `prefetch` in the app's lifespan fills it at a cold start."""

    aws = providers.Container(AwsClients)
    table_name = SSMParameter("/prod/web/table", max_age_in_seconds=300, client=aws.ssm)
    api_key = Secret("prod/web/api_key", client=aws.secretsmanager)
