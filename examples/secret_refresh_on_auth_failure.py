"""Read a secret again when the database refuses it: inject the provider, call refresh()."""

from collections.abc import Callable
from typing import Any

from dependency_injector.wiring import Provide, Provider, inject

from containers.secrets import RefreshOnAuthFailure
from lambda_cache_di import Secret


class AuthenticationError(Exception):
    """Raised by the database driver when it refuses the credentials."""


def connect(conn_string: str) -> Any:
    """Stand-in for your database driver's connect function (psycopg.connect, ...)."""
    raise NotImplementedError("plug in a database driver")


@inject
def handler(
    event: dict,
    context: object,
    conn_string: str = Provide[RefreshOnAuthFailure.conn_string],
    conn_string_provider: Secret = Provider[RefreshOnAuthFailure.conn_string],
    connect: Callable[[str], Any] = Provide[RefreshOnAuthFailure.connect],
) -> dict:
    try:
        connection = connect(conn_string)
    except AuthenticationError:
        # The secret was rotated after it was cached: fetch it now and retry once.
        connection = connect(conn_string_provider.refresh())
    return {"rows": connection.query(event["sql"])}


container = RefreshOnAuthFailure(connect=connect)
