"""The CachedCall and DynamoDB example handlers: against moto or a local HTTP server, and faked."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from dependency_injector import providers

from lambda_cache_di import set_clock
from lambda_cache_di.testing import FakeClock
from tests.unit.test_dynamodb_providers import create_table


class ConfigServer(ThreadingHTTPServer):
    """An internal configuration endpoint on 127.0.0.1: serves `body`, counts requests."""

    def __init__(self) -> None:
        self.body = b"{}"
        self.requests = 0
        super().__init__(("127.0.0.1", 0), ConfigHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/config"


class ConfigHandler(BaseHTTPRequestHandler):
    server: ConfigServer

    def do_GET(self) -> None:
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def config_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConfigServer]:
    """The endpoint, running in a thread until the test ends; CONFIG_URL points at it."""
    server = ConfigServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    monkeypatch.setenv("CONFIG_URL", server.url)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class TestAgainstMoto:
    def test_caller_identity(self, cold_start, moto_endpoint):
        """The account id from moto's STS, asked once for the hour."""
        module = cold_start("examples.call_caller_identity")
        assert module.handler({}, None) == {"account": "123456789012"}
        assert module.handler({}, None) == {"account": "123456789012"}
        assert module.container.account.stats.misses == 1

    def test_kms_decrypt(self, cold_start, aws_client, monkeypatch):
        """The environment variable's ciphertext is decrypted with moto's KMS, then cached."""
        kms = aws_client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key, Plaintext=b"key-123")["CiphertextBlob"]
        monkeypatch.setenv("API_KEY_CIPHERTEXT", base64.b64encode(blob).decode())
        module = cold_start("examples.call_kms_decrypt")
        assert module.handler({"key": "key-123"}, None) == {"authorized": True}
        assert module.handler({"key": "other"}, None) == {"authorized": False}
        assert module.container.api_key.stats.misses == 1
        assert module.container.api_key.holds_secret_value is True

    def test_dynamodb_settings(self, cold_start, aws_client):
        """A setting and the enabled flags of a partition, read from moto's DynamoDB."""
        dynamodb = aws_client("dynamodb")
        create_table(dynamodb, "app-config")
        items = [("orders", "timeout", {"N": "30"}), ("flags", "beta", {"BOOL": True})]
        items.append(("flags", "legacy", {"BOOL": False}))
        for key, sort, value in items:
            dynamodb.put_item(
                TableName="app-config",
                Item={"id": {"S": key}, "sk": {"S": sort}, "value": value},
            )
        module = cold_start("examples.dynamodb_settings")
        assert module.handler({}, None) == {"timeout": 30, "enabled": ["beta"]}


class TestHttpEndpoint:
    def test_cached_then_stale_when_down(self, cold_start, config_server):
        """One request per max age; when the endpoint is down, the last value is served stale."""
        config_server.body = json.dumps({"new_checkout": True}).encode()
        module = cold_start("examples.call_http_config")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"new_checkout": True}
        assert module.handler({}, None) == {"new_checkout": True}
        assert config_server.requests == 1
        config_server.shutdown()
        config_server.server_close()
        clock.tick(61)
        assert module.handler({}, None) == {"new_checkout": True}
        assert module.container.features.stats.stale == 1


class TestWithFakes:
    def test_overridden_calls_make_no_request(self, cold_start):
        """Each provider overridden by a fake: the handlers run with no client and no endpoint."""
        identity = cold_start("examples.call_caller_identity")
        http = cold_start("examples.call_http_config")
        with identity.container.account.override(providers.Object("000000000000")):
            assert identity.handler({}, None) == {"account": "000000000000"}
        with http.container.features.override(providers.Object({"new_checkout": False})):
            assert http.handler({}, None) == {"new_checkout": False}
