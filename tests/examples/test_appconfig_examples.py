"""The AppConfig example against the appconfigdata fake."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

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
