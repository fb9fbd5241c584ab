# app/containers.py
from dependency_injector import containers, providers
from lambda_cache_di import AwsClients, SSMParameter


class Container(containers.DeclarativeContainer):
    """The package layout: modules are named relative to this package, `app`."""

    wiring_config = containers.WiringConfiguration(modules=[".handler"])

    aws = providers.Container(AwsClients)

    greeting = SSMParameter("/greeter/greeting", max_age_in_seconds=300, client=aws.ssm)
