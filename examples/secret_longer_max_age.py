"""Cache one secret for five minutes."""

from dependency_injector.wiring import Provide, inject

from containers.secrets import LongerMaxAge


@inject
def handler(
    event: dict, context: object, conn_string: str = Provide[LongerMaxAge.conn_string]
) -> dict:
    return {"conn_string_length": len(conn_string)}


container = LongerMaxAge()
container.wire(modules=[__name__])
