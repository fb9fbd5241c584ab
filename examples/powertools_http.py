"""The Powertools HTTP resolver with its own `Depends`: dependencies that take no parameter.

Each dependency calls a provider of the container and takes no argument, so
nothing in a request can reach it, with or without `enable_validation`. Values
are fetched only by the routes that need them. Needs Powertools 3.28.0 or later
(the first release with `aws_lambda_powertools.event_handler.Depends`).
"""

import hmac
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Depends
from aws_lambda_powertools.event_handler.exceptions import UnauthorizedError
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.utilities.typing import LambdaContext

from containers.powertools import PowertoolsValues

app = APIGatewayHttpResolver()


def api_key() -> str:
    return container.api_key()


def table_name() -> str:
    return container.table_name()


def authorize(request: Request, key: Annotated[str, Depends(api_key)]) -> None:
    presented = request.headers.get("x-api-key") or ""
    if not hmac.compare_digest(presented.encode(), key.encode()):
        raise UnauthorizedError("bad API key")


@app.get("/orders")
def list_orders(
    authorized: Annotated[None, Depends(authorize)],
    table: Annotated[str, Depends(table_name)],
) -> dict:
    return {"table": table, "orders": []}


def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


container = PowertoolsValues()
