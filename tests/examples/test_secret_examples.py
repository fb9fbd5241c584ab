"""The Secrets Manager example handlers, against the moto server and with providers overridden."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from examples.app.credentials import DbCredentials
from lambda_cache_di import set_clock
from lambda_cache_di.fetchers.clients import default_client
from lambda_cache_di.testing import FakeClock

CREDENTIALS = {"username": "app", "password": "pw-123456", "host": "db.local", "port": 5432}


@pytest.fixture
def secretsmanager(aws_client):
    client = aws_client("secretsmanager")
    for name, value in {
        "/prod/db/conn_string": "postgres://old",
        "/prod/app/elk_username_password": "elk:one",
        "/prod/db/credentials": json.dumps(CREDENTIALS),
        "/prod/api/stripe": "sk-stripe",
        "/prod/api/sendgrid": "sg-key",
        "/prod/orders/db": '{"host": "orders.db"}',
        "/prod/billing/db": '{"host": "billing.db"}',
        "/prod/webhook/signing_key": "key-1",
    }.items():
        client.create_secret(Name=name, SecretString=value)
    return client


def update(client: Any, name: str, value: str) -> None:
    client.put_secret_value(SecretId=name, SecretString=value)


def aws_calls(operation: str) -> list[str]:
    """Record every `operation` call made by the default client (the examples' client=None)."""
    calls: list[str] = []
    default_client("secretsmanager").meta.events.register(
        f"provide-client-params.secrets-manager.{operation}",
        lambda params, **_: calls.append(params["SecretId"]),
    )
    return calls


def sign(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


class TestAgainstMoto:
    """Each handler module imported at a cold start and invoked against moto."""

    def test_single_secret(self, cold_start, secretsmanager):
        """The secret is injected and kept within the default minute."""
        module = cold_start("examples.secret_single")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"conn_string_length": 14}
        update(secretsmanager, "/prod/db/conn_string", "postgres://rotated")
        clock.tick(14)  # a first value lives at least a quarter of its max age
        assert module.handler({}, None) == {"conn_string_length": 14}
        clock.tick(46)  # 60 s: expired whatever the spread
        assert module.handler({}, None) == {"conn_string_length": 18}

    def test_longer_max_age(self, cold_start, secretsmanager):
        """A five-minute max age keeps a first secret for 75 to 300 s."""
        module = cold_start("examples.secret_longer_max_age")
        clock = FakeClock()
        set_clock(module.container, clock)
        calls = aws_calls("GetSecretValue")
        assert module.handler({}, None) == {"conn_string_length": 14}
        update(secretsmanager, "/prod/db/conn_string", "postgres://rotated")
        clock.tick(74)  # a first value lives at least a quarter of its max age
        assert module.handler({}, None) == {"conn_string_length": 14}
        clock.tick(226)  # 300 s: expired whatever the spread
        assert module.handler({}, None) == {"conn_string_length": 18}
        assert calls == ["/prod/db/conn_string"] * 2

    def test_different_ages(self, cold_start, secretsmanager):
        """After 30 s the connection string is fetched again; after 60 s both are."""
        module = cold_start("examples.secret_different_ages")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"conn_string_length": 14, "elk_length": 7}
        update(secretsmanager, "/prod/db/conn_string", "postgres://rotated")
        update(secretsmanager, "/prod/app/elk_username_password", "elk:second")
        clock.tick(30)
        # The ELK secret's first value (max age 60 s) lives 15-60 s: it may or may not be new.
        assert module.handler({}, None)["conn_string_length"] == 18
        clock.tick(30)
        assert module.handler({}, None) == {"conn_string_length": 18, "elk_length": 10}

    def test_composition_is_cached(self, cold_start, secretsmanager):
        """Ten invocations through a field and a model make one GetSecretValue call."""
        module = cold_start("examples.secret_composition")
        calls = aws_calls("GetSecretValue")
        for _ in range(10):
            assert module.handler({}, None) == {
                "user": "app",
                "address": "db.local:5432",
                "password_length": 9,
            }
        assert calls == ["/prod/db/credentials"]
        stats = module.container.db_secret.stats
        assert (stats.hits, stats.misses) == (19, 1)
        assert module.container.db_credentials() == DbCredentials(
            username="app", password="pw-123456", host="db.local", port=5432
        )
        assert "pw-123456" not in repr(module.container.db_credentials())

    def test_secret_group(self, cold_start, secretsmanager):
        """Two groups come in one BatchGetSecretValue call each, keyed as declared."""
        module = cold_start("examples.secret_group")
        batches: list[list[str]] = []
        default_client("secretsmanager").meta.events.register(
            "provide-client-params.secrets-manager.BatchGetSecretValue",
            lambda params, **_: batches.append(params["SecretIdList"]),
        )
        assert module.handler({}, None) == {
            "api_keys": ["sendgrid", "stripe"],
            "database_host": "orders.db",
        }
        assert module.handler({"database": "billing"}, None)["database_host"] == "billing.db"
        assert batches == [
            ["/prod/api/stripe", "/prod/api/sendgrid"],
            ["/prod/orders/db", "/prod/billing/db"],
        ]

    def test_versions(self, cold_start, secretsmanager):
        """Before a rotation only the current key signs; after it the previous one is accepted."""
        module = cold_start("examples.secret_versions")
        clock = FakeClock()
        set_clock(module.container, clock)
        old = {"body": "hello", "signature": sign("key-1", "hello")}
        forged = {"body": "hello", "signature": sign("other", "hello")}
        assert module.handler(old, None) == {"valid": True, "signed_with": "AWSCURRENT"}
        assert module.handler(forged, None) == {"valid": False, "signed_with": None}
        update(secretsmanager, "/prod/webhook/signing_key", "key-2")
        clock.tick(60)
        new = {"body": "hello", "signature": sign("key-2", "hello")}
        assert module.handler(new, None) == {"valid": True, "signed_with": "AWSCURRENT"}
        assert module.handler(old, None) == {"valid": True, "signed_with": "AWSPREVIOUS"}
        assert module.handler(forged, None) == {"valid": False, "signed_with": None}


class TestWithFakes:
    """The same handlers with providers overridden: no AWS at all."""

    def test_single_secret(self, cold_start):
        """An overridden provider hands the fake to the handler and fetches nothing."""
        module = cold_start("examples.secret_single")
        with module.container.conn_string.override("fake"):
            assert module.handler({}, None) == {"conn_string_length": 4}
        assert module.container.conn_string.stats.misses == 0

    def test_longer_max_age(self, cold_start):
        """Overriding works for any max age."""
        module = cold_start("examples.secret_longer_max_age")
        with module.container.conn_string.override("fake-conn"):
            assert module.handler({}, None) == {"conn_string_length": 9}

    def test_different_ages(self, cold_start):
        """Each provider is overridden on its own."""
        module = cold_start("examples.secret_different_ages")
        with module.container.conn_string.override("c"), module.container.elk.override("ee"):
            assert module.handler({}, None) == {"conn_string_length": 1, "elk_length": 2}

    def test_composition(self, cold_start):
        """Overriding the secret feeds both composed providers."""
        module = cold_start("examples.secret_composition")
        fake = {"username": "u", "password": "p", "host": "h", "port": "1"}
        with module.container.db_secret.override(fake):
            assert module.handler({}, None) == {
                "user": "u",
                "address": "h:1",
                "password_length": 1,
            }
        assert module.container.db_secret.stats.misses == 0

    def test_secret_group(self, cold_start):
        """A dict provider is overridden by a dict."""
        module = cold_start("examples.secret_group")
        module.container.override_providers(
            api_keys={"stripe": "s"}, databases={"orders": {"host": "h"}}
        )
        try:
            assert module.handler({}, None) == {"api_keys": ["stripe"], "database_host": "h"}
        finally:
            module.container.reset_override()

    def test_versions(self, cold_start):
        """The current key is a fake string; the previous one is asked for only when needed."""
        module = cold_start("examples.secret_versions")
        container = module.container
        with container.current_key.override("k2"), container.previous_key.override("k1"):
            signed = {"body": "b", "signature": sign("k1", "b")}
            assert module.handler(signed, None) == {"valid": True, "signed_with": "AWSPREVIOUS"}
