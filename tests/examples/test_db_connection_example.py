"""The database examples against a real PostgreSQL and a secret rotated in moto, and with fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.postgres import PostgresServer, seed_database_secret
from tests.rotator import Rotator

SECRET = "/prod/db/credentials"
WHO = {"sql": "SELECT current_user"}


@pytest.fixture
def secretsmanager(aws_client: Any, postgres: PostgresServer) -> Any:
    client = aws_client("secretsmanager")
    seed_database_secret(postgres, client, SECRET)
    return client


@pytest.fixture
def load(cold_start: Callable[[str], ModuleType]) -> Iterator[Callable[[str], ModuleType]]:
    """A cold start whose connection is closed when the test ends."""
    loaded: list[ModuleType] = []

    def start(name: str) -> ModuleType:
        module = cold_start(name)
        loaded.append(module)
        return module

    yield start
    for module in loaded:
        module.container.connection.reset()


class TestAgainstPostgres:
    """The handler modules imported at a cold start, against the throwaway server."""

    def test_one_connection_across_invocations(self, load, secretsmanager, postgres):
        """Invocations share one session."""
        module = load("examples.db_connection")
        for _ in range(3):
            assert module.handler(WHO, None) == {"rows": [["app"]]}
        assert postgres.sessions("app") == 1

    def test_cold_start_in_the_window_logs_in_with_pending(self, load, secretsmanager, postgres):
        """Between setSecret and finishSecret, AWSCURRENT is refused and AWSPENDING logs in."""
        rotator = Rotator(secretsmanager, SECRET, postgres)
        rotator.create_secret("token-1-" + "0" * 24)
        rotator.set_secret("token-1-" + "0" * 24)
        module = load("examples.db_connection")
        assert module.handler(WHO, None) == {"rows": [["app"]]}
        rotator.finish_secret("token-1-" + "0" * 24)
        assert module.handler(WHO, None) == {"rows": [["app"]]}
        assert postgres.sessions("app") == 1

    def test_decorated_handler_survives_ended_sessions(self, load, secretsmanager, postgres):
        """Sessions ended at setSecret: the decorated handler reconnects with AWSPENDING."""
        module = load("examples.db_refresh_on_auth_failure")
        assert module.handler(WHO, None) == {"rows": [["app"]]}
        first = module.container.connection()
        rotator = Rotator(secretsmanager, SECRET, postgres, terminate_sessions=True)
        rotator.create_secret("token-2-" + "0" * 24)
        rotator.set_secret("token-2-" + "0" * 24)
        assert module.handler(WHO, None) == {"rows": [["app"]]}
        assert first.closed
        rotator.finish_secret("token-2-" + "0" * 24)
        assert module.handler({"sql": "SELECT 1 + 1"}, None) == {"rows": [[2]]}
        assert postgres.sessions("app") == 1


class FakeCursor:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class FakeConnection:
    """What the handler uses of a psycopg connection: execute() and fetchall()."""

    def __init__(self) -> None:
        self.queries: list[bytes] = []

    def execute(self, query: bytes) -> FakeCursor:
        self.queries.append(query)
        return FakeCursor([("fake",)])


class TestWithFakes:
    """The same handlers with the connection overridden: no database, no AWS."""

    @pytest.mark.parametrize(
        "name", ["examples.db_connection", "examples.db_refresh_on_auth_failure"]
    )
    def test_fake_connection_replaces_the_derived(self, cold_start, name):
        """Overriding the connection hands the handler the fake and builds nothing."""
        module = cold_start(name)
        fake = FakeConnection()
        with module.container.connection.override(fake):
            assert module.handler(WHO, None) == {"rows": [["fake"]]}
        assert fake.queries == [b"SELECT current_user"]
        assert module.container.connection.built is False
        assert module.container.credentials.stats.misses == 0
