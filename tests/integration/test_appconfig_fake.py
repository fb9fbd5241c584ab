"""The appconfigdata fake speaks the protocol botocore's model defines (real boto3 client)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_cache_di.testing import FakeClock
from lambda_cache_di.testing.appconfig import FakeAppConfigData


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeAppConfigData]:
    with FakeAppConfigData(clock=clock, poll_interval=30) as server:
        server.set_configuration(
            "app", "env", "text", "one", content_type="text/plain", version_label="v1"
        )
        yield server


@pytest.fixture
def client(fake: FakeAppConfigData) -> Any:
    return boto3.client("appconfigdata", region_name="us-east-1", endpoint_url=fake.endpoint)


def start(client: Any, **extra: Any) -> str:
    response = client.start_configuration_session(
        ApplicationIdentifier="app",
        EnvironmentIdentifier="env",
        ConfigurationProfileIdentifier="text",
        **extra,
    )
    return str(response["InitialConfigurationToken"])


def problem(error: ClientError) -> str:
    return str(error.response["Details"]["InvalidParameters"]["ConfigurationToken"]["Problem"])


def test_first_poll_has_the_document_and_the_headers(client):
    """Body, Content-Type, Version-Label, next token and interval, parsed by botocore."""
    response = client.get_latest_configuration(ConfigurationToken=start(client))
    assert response["Configuration"].read() == b"one"
    assert (response["ContentType"], response["VersionLabel"]) == ("text/plain", "v1")
    assert response["NextPollIntervalInSeconds"] == 30
    assert response["NextPollConfigurationToken"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unchanged_is_an_empty_body_and_a_change_is_sent(client, fake, clock):
    """The session's second poll is empty; after a deployment the next one has the document."""
    first = client.get_latest_configuration(ConfigurationToken=start(client))
    clock.tick(30)
    second = client.get_latest_configuration(ConfigurationToken=first["NextPollConfigurationToken"])
    assert second["Configuration"].read() == b""
    fake.set_configuration("app", "env", "text", "two", content_type="text/plain")
    clock.tick(30)
    third = client.get_latest_configuration(ConfigurationToken=second["NextPollConfigurationToken"])
    assert third["Configuration"].read() == b"two"
    assert fake.requests == {"StartConfigurationSession": 1, "GetLatestConfiguration": 3}


def test_refusals_name_their_problem(client, fake, clock):
    """Too early, spent and expired tokens are BadRequestExceptions with the model's Problem."""
    token = start(client, RequiredMinimumPollIntervalInSeconds=60)
    following = client.get_latest_configuration(ConfigurationToken=token)
    with pytest.raises(ClientError) as early:
        client.get_latest_configuration(ConfigurationToken=following["NextPollConfigurationToken"])
    with pytest.raises(ClientError) as spent:
        client.get_latest_configuration(ConfigurationToken=token)
    fake.expire_tokens()
    with pytest.raises(ClientError) as expired:
        client.get_latest_configuration(ConfigurationToken=following["NextPollConfigurationToken"])
    assert [error.value.response["Error"]["Code"] for error in (early, spent, expired)] == [
        "BadRequestException"
    ] * 3
    assert [problem(error.value) for error in (early, spent, expired)] == [
        "PollIntervalNotSatisfied",
        "Corrupted",
        "Expired",
    ]
    assert following["NextPollIntervalInSeconds"] == 60


def test_unknown_application_is_resource_not_found(client):
    """A 404 ResourceNotFoundException whose ResourceType names the missing part."""
    with pytest.raises(ClientError) as caught:
        client.start_configuration_session(
            ApplicationIdentifier="nope",
            EnvironmentIdentifier="env",
            ConfigurationProfileIdentifier="text",
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResourceType"] == "Application"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_unsigned_request_is_refused(fake):
    """A request without a SigV4 Authorization header gets a 403."""
    request = urllib.request.Request(fake.endpoint + "/configuration?configuration_token=x")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 403
