"""FastAPI on Lambda through Mangum: routes receive cached values with `Depends(Provide[...])`.

`Depends` makes FastAPI call the marker, which takes no parameter, so nothing in
a request (query string, header, body) can reach the injected argument.
"""

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dependency_injector.wiring import Provide, inject
from fastapi import Depends, FastAPI, Header, HTTPException
from mangum import Mangum
from pydantic import BaseModel

from containers.fastapi_orders import WebContainer
from lambda_cache_di import prefetch


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Mangum's lifespan="auto" runs this on every invocation; prefetch skips fresh values.
    prefetch(container)
    yield


app = FastAPI(lifespan=lifespan)


class Order(BaseModel):
    item: str
    quantity: int


def authorize(presented: str, expected: str) -> None:
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="bad API key")


@app.get("/orders")
@inject
def list_orders(
    x_api_key: str = Header(),
    api_key: str = Depends(Provide[WebContainer.api_key]),
    table_name: str = Depends(Provide[WebContainer.table_name]),
) -> dict:
    authorize(x_api_key, api_key)
    return {"table": table_name, "orders": []}


@app.post("/orders", status_code=201)
@inject
def create_order(
    order: Order,
    x_api_key: str = Header(),
    api_key: str = Depends(Provide[WebContainer.api_key]),
    table_name: str = Depends(Provide[WebContainer.table_name]),
) -> dict:
    authorize(x_api_key, api_key)
    return {"table": table_name, "item": order.item, "quantity": order.quantity}


container = WebContainer()
container.wire(modules=[__name__])  # after the routes: wiring patches what is defined above
handler = Mangum(app, lifespan="auto")
