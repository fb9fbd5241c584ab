"""The DB connection example: against moto with a rotated secret, and with fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from examples.db_client import Connection, InterfaceError
from lambda_cache_di import set_clock
from lambda_cache_di.testing import FakeClock
from tests.recording import count_calls

SECRET = "/prod/db/credentials"
CREDENTIALS = {"username": "app", "password": "pw-1", "host": "db.local", "port": 5432}


@pytest.fixture
def secretsmanager(aws_client: Any) -> Any:
    client = aws_client("secretsmanager")
    client.create_secret(Name=SECRET, SecretString=json.dumps(CREDENTIALS))
    return client


class TestAgainstMoto:
    """The handler module imported at a cold start and invoked against moto."""

    def test_rotation_opens_a_new_connection_and_closes_the_old(self, cold_start, secretsmanager):
        """Invocations share one connection; after a rotation and expiry, a new one, old closed."""
        module = cold_start("examples.db_connection")
        clock = FakeClock()
        set_clock(module.container, clock)
        calls = count_calls(module.container.aws.secretsmanager(), "GetSecretValue")
        event = {"sql": "SELECT 1"}
        assert module.handler(event, None) == {"rows": [("app@db.local", "SELECT 1")]}
        first = module.container.connection()
        clock.tick(61)
        assert module.handler(event, None) == {"rows": [("app@db.local", "SELECT 1")]}
        assert module.container.connection() is first
        rotated = {**CREDENTIALS, "username": "app2", "password": "pw-2"}
        secretsmanager.put_secret_value(SecretId=SECRET, SecretString=json.dumps(rotated))
        clock.tick(59)
        assert module.handler(event, None) == {"rows": [("app@db.local", "SELECT 1")]}
        clock.tick(2)
        assert module.handler(event, None) == {"rows": [("app2@db.local", "SELECT 1")]}
        second = module.container.connection()
        assert second is not first
        assert (first.closed, second.closed) == (True, False)
        with pytest.raises(InterfaceError, match="connection already closed"):
            first.execute("SELECT 1")
        assert len(calls) == 3
        assert "pw-" not in repr(second) + repr(module.container.connection)


class TestWithFakes:
    """The same handler with providers overridden: no AWS at all."""

    def test_fake_credentials_open_a_connection_without_aws(self, cold_start):
        """Overriding the secret feeds the Derived connection; nothing is fetched."""
        module = cold_start("examples.db_connection")
        fake = {"username": "test", "password": "p", "host": "fake.db", "port": "1"}
        with module.container.credentials.override(fake):
            assert module.handler({"sql": "SELECT 2"}, None) == {
                "rows": [("test@fake.db", "SELECT 2")]
            }
        assert module.container.credentials.stats.misses == 0

    def test_fake_connection_replaces_the_derived(self, cold_start):
        """Overriding the connection hands the handler the fake and builds nothing."""
        module = cold_start("examples.db_connection")
        fake = Connection(host="memory", port=0, user="fake", password="")
        with module.container.connection.override(fake):
            result = module.handler({"sql": "SELECT 3"}, None)
        assert result == {"rows": [("fake@memory", "SELECT 3")]}
        assert module.container.connection.built is False
        assert module.container.credentials.stats.misses == 0
