"""The shared tier keeps the values of two accounts apart, even under one name."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambda_cache_di import SSMParameter
from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT


def client_as(endpoint: str, credentials: dict[str, str]) -> Any:
    return boto3.client(
        "ssm",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
    )


@pytest.fixture
def two_accounts(moto_endpoint: str) -> tuple[Any, Any]:
    """An SSM client of the default account and one of account 111111111111 (assumed role)."""
    home = {
        "AccessKeyId": FAKE_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        "SecretAccessKey": FAKE_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
    }
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_endpoint)
    role = "arn:aws:iam::111111111111:role/reader"
    other = sts.assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    return client_as(moto_endpoint, home), client_as(moto_endpoint, other)


@pytest.mark.parametrize("shared", [True, None])
def test_two_accounts_never_share_a_value(two_accounts, monkeypatch, shared):
    """Same parameter name in two accounts: each provider gets its own account's value."""
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", "4")
    home, other = two_accounts
    home.put_parameter(Name="/app/db-host", Value="host-of-home", Type="String")
    other.put_parameter(Name="/app/db-host", Value="host-of-other", Type="String")
    first = SSMParameter("/app/db-host", client=home, shared=shared)()
    second = SSMParameter("/app/db-host", client=other, shared=shared)()
    assert (first, second) == ("host-of-home", "host-of-other")
