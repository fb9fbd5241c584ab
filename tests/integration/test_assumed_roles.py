"""AssumedRoleClients against moto's STS: clients sign as the role, botocore refreshes them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambda_cache_di import AssumedRoleClients, ConfigurationError, SSMParameter

READER = "arn:aws:iam::111111111111:role/reader"
OTHER = "arn:aws:iam::222222222222:role/reader"


class AssumeCalls:
    """A base session that records the AssumeRole requests its STS clients make."""

    def __init__(self) -> None:
        self.session = boto3.session.Session()
        self.requests: list[dict[str, Any]] = []
        self.session.events.register("before-call.sts.AssumeRole", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params["body"]))


@pytest.fixture
def base(moto_endpoint: str) -> AssumeCalls:
    return AssumeCalls()


def clients_for(base: AssumeCalls, role_arn: str, **options: Any) -> AssumedRoleClients:
    return AssumedRoleClients(role_arn=role_arn, base_session=base.session, **options)


def test_clients_sign_as_the_role(base):
    """get_caller_identity shows the assumed role; the role is assumed once, at first request."""
    clients = clients_for(base, READER)
    sts = clients.sts()
    assert base.requests == []
    identity = sts.get_caller_identity()["Arn"]
    assert identity == "arn:aws:sts::111111111111:assumed-role/reader/lambda-cache-di"
    sts.get_caller_identity()
    clients.ssm().describe_parameters()
    assert len(base.requests) == 1


def test_assume_role_request_carries_the_options(base):
    """Session name, external id and duration go into the AssumeRole request as given."""
    clients = clients_for(
        base, READER, session_name="orders-fn", external_id="ext-1234", duration_seconds=1800
    )
    clients.sts().get_caller_identity()
    assert base.requests == [
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": READER,
            "RoleSessionName": "orders-fn",
            "ExternalId": "ext-1234",
            "DurationSeconds": 1800,
        }
    ]


def test_credentials_are_refreshed_as_they_near_expiry(base):
    """With 900 s credentials (inside botocore's 15-minute refresh window) each request
    assumes the role again; with an hour's, one AssumeRole serves them all."""
    short = clients_for(base, READER, duration_seconds=900).sts()
    for _ in range(3):
        short.get_caller_identity()
    assert len(base.requests) == 3
    hour = clients_for(base, OTHER, duration_seconds=3600).sts()
    for _ in range(3):
        assert hour.get_caller_identity()["Account"] == "222222222222"
    assert len(base.requests) == 4


@pytest.mark.parametrize("shared", [True, None])
def test_two_roles_never_share_a_value(base, moto_server, monkeypatch, shared):
    """One parameter name in two roles' accounts, sharing on: two requests, two values."""
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", "4")
    reader, other = clients_for(base, READER), clients_for(base, OTHER)
    reader.ssm().put_parameter(Name="/app/db-host", Value="host-of-reader", Type="String")
    other.ssm().put_parameter(Name="/app/db-host", Value="host-of-other", Type="String")
    moto_server.reset_counts()
    first = SSMParameter("/app/db-host", client=reader.ssm, shared=shared)
    second = SSMParameter("/app/db-host", client=other.ssm, shared=shared)
    assert (first(), second()) == ("host-of-reader", "host-of-other")
    assert moto_server.requests["AmazonSSM.GetParameter"] == 2


def test_region_goes_to_the_clients_and_the_sts_call(base):
    """region= sets the clients' region and the region of the AssumeRole call."""
    regions: list[str] = []
    base.session.events.register(
        "before-call.sts.AssumeRole",
        lambda context, **_: regions.append(context["client_region"]),
    )
    clients = clients_for(base, READER, region="eu-west-1")
    assert clients.ssm().meta.region_name == "eu-west-1"
    clients.sts().get_caller_identity()
    assert regions == ["eu-west-1"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role_arn": "reader"}, "role_arn must be an IAM role ARN"),
        ({"role_arn": READER, "session_name": "x"}, "session_name must be 2-64"),
        ({"role_arn": READER, "external_id": "a"}, "external_id must be 2-1224"),
        ({"role_arn": READER, "duration_seconds": 60}, "duration_seconds must be 900 to 43200"),
    ],
)
def test_bad_options_are_configuration_errors(base, options, message):
    """A malformed option raises ConfigurationError on first use, naming the option."""
    clients = AssumedRoleClients(base_session=base.session, **options)
    with pytest.raises(ConfigurationError, match=message):
        clients.ssm()
