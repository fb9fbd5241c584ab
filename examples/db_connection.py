"""A database connection reused across invocations, reopened when its secret rotates."""

from dependency_injector.wiring import Provide, inject

from containers.db import Database
from examples.db_client import Connection


@inject
def handler(
    event: dict,
    context: object,
    connection: Connection = Provide[Database.connection],
) -> dict:
    return {"rows": connection.execute(event["sql"])}


container = Database()  # once per execution environment: the cold start
