"""Containers of the Powertools examples: one per wired module, the values declared once.

Each wired module gets its own container class: an instance wires every module
its class lists, so two modules sharing one class would both be bound to
whichever instance was created last.
"""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, Secret, SSMParameter


class PowertoolsValues(containers.DeclarativeContainer):
    """A table name and an API key; wires nothing (the HTTP example calls the providers)."""

    aws = providers.Container(AwsClients)
    table_name = SSMParameter("/prod/web/table", max_age_in_seconds=300, client=aws.ssm)
    api_key = Secret("prod/web/api_key", client=aws.secretsmanager)


class PowertoolsRest(PowertoolsValues):
    """The REST resolver example: its Lambda entry point is injected."""

    wiring_config = containers.WiringConfiguration(modules=["examples.powertools_orders"])


class PowertoolsEvents(PowertoolsValues):
    """The `@event_source` example: an injected function behind a thin entry point."""

    wiring_config = containers.WiringConfiguration(modules=["examples.powertools_event_source"])
