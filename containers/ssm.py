"""Containers for the SSM Parameter Store examples: one per handler module."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, SSMParameter, SSMParameters, SSMParametersByPath


class SingleParameter(containers.DeclarativeContainer):
    """One parameter, cached for the default minute."""

    wiring_config = containers.WiringConfiguration(modules=["examples.ssm_single_parameter"])
    aws = providers.Container(AwsClients)
    app_var = SSMParameter("/production/app/var", client=aws.ssm)


class LongerMaxAge(containers.DeclarativeContainer):
    """One parameter kept for five minutes."""

    wiring_config = containers.WiringConfiguration(modules=["examples.ssm_longer_max_age"])
    app_var = SSMParameter("/production/app/var", max_age_in_seconds=300)


class ParameterGroup(containers.DeclarativeContainer):
    """Several parameters fetched together (GetParameters) and injected as one dict."""

    wiring_config = containers.WiringConfiguration(modules=["examples.ssm_parameter_group"])
    settings = SSMParameters(["/app/var1", "/app/var2", "/app/hosts"])
    # A mapping chooses the keys: two names with the same last segment can live side by side.
    tables = SSMParameters({"orders": "/prod/orders/table", "orders_dev": "/dev/orders/table"})


class DifferentAges(containers.DeclarativeContainer):
    """Two parameters with their own max ages: the seed's stacked decorators."""

    wiring_config = containers.WiringConfiguration(modules=["examples.ssm_different_ages"])
    var1 = SSMParameter("/production/app/var1", max_age_in_seconds=30)
    var2 = SSMParameter("/production/app/var2", max_age_in_seconds=60)


class ForcedRefresh(containers.DeclarativeContainer):
    """A parameter the handler may refresh on demand."""

    wiring_config = containers.WiringConfiguration(modules=["examples.ssm_forced_refresh"])
    var = SSMParameter("/prod/var")


class ParametersByPath(containers.DeclarativeContainer):
    """Every parameter under a path, and the direct children of another."""

    wiring_config = containers.WiringConfiguration(modules=["examples.ssm_by_path"])
    config = SSMParametersByPath("/svc/config")  # {"db/host": ..., "feature/x": ...}
    flags = SSMParametersByPath("/svc/flags", recursive=False, max_age_in_seconds=30)
