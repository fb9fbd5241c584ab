"""A handler that survives a rotation: a refused password or an ended session, retried fresh."""

import psycopg
from dependency_injector.wiring import Provide, inject

from containers.db import Database
from examples.app.db import fetch_all
from lambda_cache_di import refresh_on


# Above @inject: each new try gets a new connection injected. Before it, the old
# connection is closed and a new one opened (its secret refreshed if refused).
@refresh_on(psycopg.OperationalError, Database.connection)
@inject
def handler(
    event: dict,
    context: object,
    connection: psycopg.Connection = Provide[Database.connection],
) -> dict:
    return {"rows": fetch_all(connection, event["sql"])}


container = Database()  # once per execution environment: the cold start
container.wire(modules=[__name__])
