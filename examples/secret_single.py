"""Cache one secret for a minute and receive it as an argument."""

from dependency_injector.wiring import Provide, inject

from containers.secrets import SingleSecret


@inject
def handler(
    event: dict, context: object, conn_string: str = Provide[SingleSecret.conn_string]
) -> dict:
    return {"conn_string_length": len(conn_string)}


container = SingleSecret()  # once per execution environment: the cold start
container.wire(modules=[__name__])
