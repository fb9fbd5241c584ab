"""PostgreSQL with psycopg 3: open a connection from an RDS-style secret, run a query, close it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg


def connect(credentials: Mapping[str, Any]) -> psycopg.Connection[Any]:
    """Log in with the fields of the secret: host, port, username, password, dbname."""
    return psycopg.connect(
        host=credentials["host"],
        port=int(credentials["port"]),
        user=credentials["username"],
        password=credentials["password"],
        dbname=credentials.get("dbname", "postgres"),
        autocommit=True,  # a failed statement leaves no transaction open for the next invocation
        connect_timeout=5,
    )


def fetch_all(connection: psycopg.Connection[Any], query: str) -> list[list[Any]]:
    """The rows of a query, as lists (JSON-ready)."""
    return [list(row) for row in connection.execute(query.encode()).fetchall()]


def close(connection: psycopg.Connection[Any]) -> None:
    connection.close()
