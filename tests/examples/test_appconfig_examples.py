"""The AppConfig and cross-account examples: against the appconfigdata fake and moto's STS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from containers.appconfig import READER_ROLE
from lambda_cache_di import AssumedRoleClients
from lambda_cache_di.testing.appconfig import FakeAppConfigData

FLAGS = {"beta": {"enabled": True}, "checkout-v2": {"enabled": False}}


@pytest.fixture
def appconfig(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAppConfigData]:
    """The fake, with the example's two profiles, where AwsClients' appconfigdata client looks."""
    with FakeAppConfigData() as fake:
        fake.set_configuration("orders", "prod", "flags", json.dumps(FLAGS))
        fake.set_configuration(
            "orders", "prod", "routing-yaml", "eu: eu-west-1\n", content_type="application/x-yaml"
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIGDATA", fake.endpoint)
        yield fake


def test_feature_flags_handler(appconfig, cold_start):
    """The flag arrives as a bool, the profile parsed, the YAML as bytes; one session each."""
    module = cold_start("examples.appconfig_flags")
    for _ in range(3):
        assert module.handler({}, None) == {
            "beta": True,
            "flags": ["beta", "checkout-v2"],
            "routing_bytes": 14,
        }
    assert appconfig.requests == {"StartConfigurationSession": 3, "GetLatestConfiguration": 3}


def test_cross_account_handler(moto_endpoint, cold_start):
    """The secret lives in the role's account (210987654321); the handler reads it as the role."""
    owner = AssumedRoleClients(role_arn=READER_ROLE)
    owner.secretsmanager().create_secret(Name="prod/orders/db-password", SecretString="pw-12345")
    module = cold_start("examples.cross_account")
    assert module.handler({}, None) == {"password_length": 8}
