"""A database connection reused across invocations, reopened when its secret rotates."""

import psycopg
from dependency_injector.wiring import Provide, inject

from containers.db import Database
from examples.app.db import fetch_all


@inject
def handler(
    event: dict,
    context: object,
    connection: psycopg.Connection = Provide[Database.connection],
) -> dict:
    return {"rows": fetch_all(connection, event["sql"])}


container = Database()  # once per execution environment: the cold start
container.wire(modules=[__name__])
