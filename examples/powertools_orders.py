"""The Powertools REST resolver with validation: the entry point is injected, routes read context.

Routes never carry `Provide` markers: under `enable_validation=True` a marker in
a route's signature is a query parameter, so a request could choose the value.
Values go from the injected entry point to the routes through `append_context`,
which the resolver clears after every invocation.
"""

import hmac

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import UnauthorizedError
from aws_lambda_powertools.utilities.typing import LambdaContext
from dependency_injector.wiring import Provide, inject
from pydantic import BaseModel

from containers.powertools import PowertoolsValues

app = APIGatewayRestResolver(enable_validation=True)


class Order(BaseModel):
    item: str
    quantity: int


def authorize() -> None:
    presented = app.current_event.headers.get("x-api-key") or ""
    if not hmac.compare_digest(presented.encode(), app.context["api_key"].encode()):
        raise UnauthorizedError("bad API key")


@app.get("/orders")
def list_orders() -> dict:
    authorize()
    return {"table": app.context["table_name"], "orders": []}


@app.post("/orders")
def create_order(order: Order) -> dict:
    authorize()
    return {"table": app.context["table_name"], "item": order.item, "quantity": order.quantity}


@inject
def handler(
    event: dict,
    context: LambdaContext,
    api_key: str = Provide[PowertoolsValues.api_key],
    table_name: str = Provide[PowertoolsValues.table_name],
) -> dict:
    app.append_context(api_key=api_key, table_name=table_name)
    return app.resolve(event, context)


container = PowertoolsValues()
container.wire(modules=[__name__])  # after the handler: wiring patches what is defined above
