"""The container of the FastAPI example: a table name and an API key, cached across invocations."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, Secret, SSMParameter


class WebValues(containers.DeclarativeContainer):
    """A table name and an API key; wires nothing by itself."""

    aws = providers.Container(AwsClients)
    table_name = SSMParameter("/prod/web/table", max_age_in_seconds=300, client=aws.ssm)
    api_key = Secret("prod/web/api_key", client=aws.secretsmanager)


class WebContainer(WebValues):
    """What the FastAPI routes read; `prefetch` in the app's lifespan fills it at a cold start."""

    wiring_config = containers.WiringConfiguration(modules=["examples.fastapi_orders"])
