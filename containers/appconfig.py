"""Containers for the AppConfig and cross-account examples."""

from dependency_injector import containers, providers

from lambda_cache_di import AppConfig, AssumedRoleClients, AwsClients, Secret

READER_ROLE = "arn:aws:iam::210987654321:role/orders-reader"


class FeatureFlags(containers.DeclarativeContainer):
    """A feature-flag profile, one flag of it, and a YAML profile as bytes."""

    wiring_config = containers.WiringConfiguration(modules=["examples.appconfig_flags"])
    aws = providers.Container(AwsClients)
    flags = AppConfig("orders", "prod", "flags", client=aws.appconfigdata)
    beta_enabled = AppConfig(
        "orders",
        "prod",
        "flags",
        client=aws.appconfigdata,
        transform=lambda flags: flags["beta"]["enabled"],
    )
    routing = AppConfig("orders", "prod", "routing-yaml", client=aws.appconfigdata)


class CrossAccount(containers.DeclarativeContainer):
    """A secret of another account, read as a role of that account."""

    wiring_config = containers.WiringConfiguration(modules=["examples.cross_account"])
    reader = providers.Container(AssumedRoleClients, role_arn=READER_ROLE, external_id="orders-fn")
    db_password = Secret("prod/orders/db-password", client=reader.secretsmanager)
