"""Containers for the DynamoDB examples."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, DynamoDBItems, DynamoDBValue


class Settings(containers.DeclarativeContainer):
    """One item's value and every flag of a partition, from the `app-config` table."""

    aws = providers.Container(AwsClients)
    timeout = DynamoDBValue("app-config", {"id": "orders", "sk": "timeout"}, client=aws.dynamodb)
    flags = DynamoDBItems("app-config", "flags", client=aws.dynamodb, max_age_in_seconds=30)
