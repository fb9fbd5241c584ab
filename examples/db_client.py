"""Application code for the DB connection example: a stand-in driver, no real database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InterfaceError(Exception):
    """Raised, as real drivers do, when a closed connection is used."""


class Connection:
    """An open database connection: it runs queries until it is closed."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        self.host = host
        self.port = port
        self.user = user
        self._password = password  # a real driver would log in with it
        self.closed = False

    def execute(self, sql: str) -> list[tuple[str, str]]:
        if self.closed:
            raise InterfaceError("connection already closed")
        return [(f"{self.user}@{self.host}", sql)]

    def close(self) -> None:
        self.closed = True

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Connection {self.user}@{self.host}:{self.port} {state}>"


def open_connection(credentials: Mapping[str, Any]) -> Connection:
    """Open a connection with the fields of an RDS-style JSON secret."""
    return Connection(
        host=credentials["host"],
        port=int(credentials["port"]),
        user=credentials["username"],
        password=credentials["password"],
    )


def close_connection(connection: Connection) -> None:
    connection.close()
