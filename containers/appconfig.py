"""Container for the AppConfig example: a feature-flag profile and a YAML profile."""

from dependency_injector import containers, providers

from lambda_cache_di import AppConfig, AwsClients


class FeatureFlags(containers.DeclarativeContainer):
    """A feature-flag profile, one flag of it, and a YAML profile as bytes."""

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
