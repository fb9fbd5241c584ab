"""Containers for the SSM Parameter Store examples: one per handler module."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, SSMParameter, SSMParameters, SSMParametersByPath


class SingleParameter(containers.DeclarativeContainer):
    """One parameter, cached for the default minute."""

    aws = providers.Container(AwsClients)
    app_var = SSMParameter("/production/app/var", client=aws.ssm)


class LongerMaxAge(containers.DeclarativeContainer):
    """One parameter kept for five minutes."""

    app_var = SSMParameter("/production/app/var", max_age_in_seconds=300)


class ParameterGroup(containers.DeclarativeContainer):
    """Several parameters fetched together (GetParameters) and injected as one dict."""

    settings = SSMParameters(["/app/var1", "/app/var2", "/app/hosts"])
    # A mapping chooses the keys: two names with the same last segment can live side by side.
    tables = SSMParameters({"orders": "/prod/orders/table", "orders_dev": "/dev/orders/table"})


class DifferentAges(containers.DeclarativeContainer):
    """Two parameters with their own max ages: the seed's stacked decorators."""

    var1 = SSMParameter("/production/app/var1", max_age_in_seconds=30)
    var2 = SSMParameter("/production/app/var2", max_age_in_seconds=60)


class ForcedRefresh(containers.DeclarativeContainer):
    """A parameter the handler may refresh on demand."""

    var = SSMParameter("/prod/var")


class ParametersByPath(containers.DeclarativeContainer):
    """Every parameter under a path, and the direct children of another."""

    config = SSMParametersByPath("/svc/config")  # {"db/host": ..., "feature/x": ...}
    flags = SSMParametersByPath("/svc/flags", recursive=False, max_age_in_seconds=30)
