# app/handler.py
from typing import Any

from dependency_injector.wiring import Provide, inject

from .containers import Container


@inject
def handler(
    event: dict[str, Any], context: object, greeting: str = Provide[Container.greeting]
) -> dict[str, Any]:
    return {"message": f"{greeting}, {event['name']}!"}


container = Container()  # wires app.handler
