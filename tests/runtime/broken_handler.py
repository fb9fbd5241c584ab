"""A handler module whose container is defined wrongly: importing it raises, as init."""

from dependency_injector import containers

from lambda_cache_di import SSMParameter


class BrokenApp(containers.DeclarativeContainer):
    """A parameter name without its leading '/'."""

    table_name = SSMParameter("prod/orders/table")


def handler(event: dict, context: object) -> str:
    return "never reached"
