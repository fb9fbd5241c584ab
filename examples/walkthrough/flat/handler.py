# handler.py
from typing import Any

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, inject
from lambda_cache_di import AwsClients, Secret, SSMParameter


class Container(containers.DeclarativeContainer):
    """What the handler reads from AWS, each value cached for its own max age."""

    # Lambda imports this file as the top-level module "handler": name it as such.
    wiring_config = containers.WiringConfiguration(modules=["handler"])

    aws = providers.Container(AwsClients)

    greeting = SSMParameter("/greeter/greeting", max_age_in_seconds=300, client=aws.ssm)
    api_key = Secret("greeter/api-key", transform="json", client=aws.secretsmanager)


@inject
def handler(
    event: dict[str, Any],
    context: object,
    greeting: str = Provide[Container.greeting],
    api_key: dict[str, str] = Provide[Container.api_key],
) -> dict[str, Any]:
    return {
        "message": f"{greeting}, {event['name']}!",
        "key_id": api_key["id"],  # never return or log the secret itself
    }


container = Container()  # once per execution environment; wires this module
