"""The Secrets Manager fetcher against moto in-process and botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from lambda_cache_di.core.names import parse_secret_id
from lambda_cache_di.errors import FetchError, NotFoundError
from lambda_cache_di.fetchers.secrets import (
    BATCH_GET_SECRET_VALUE_LIMIT,
    batch_get_secret_values,
    get_secret_value,
)
from tests.recording import batch_calls


@pytest.fixture(scope="module")
def session() -> Any:
    """One boto3 session, so that each test's client reuses its loaded service model."""
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def client(session: Any) -> Iterator[Any]:
    with mock_aws():
        yield session.client("secretsmanager")


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    offline = boto3.client("secretsmanager", region_name="us-east-1")
    with Stubber(offline) as stubber:
        yield offline, stubber
        stubber.assert_no_pending_responses()


ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:/app/db-AbCdEf"


class TestGetSecretValue:
    """One secret by GetSecretValue."""

    def test_string(self, client):
        """A SecretString arrives as str."""
        client.create_secret(Name="/app/db", SecretString="conn-1")
        assert get_secret_value(client, parse_secret_id("/app/db")) == "conn-1"

    def test_binary(self, client):
        """A SecretBinary arrives as bytes."""
        client.create_secret(Name="/app/key", SecretBinary=b"\x00\xffkey")
        assert get_secret_value(client, parse_secret_id("/app/key")) == b"\x00\xffkey"

    def test_complete_and_partial_arn(self, client):
        """A complete ARN and an ARN without the six-character suffix both find the secret."""
        arn = client.create_secret(Name="/app/db", SecretString="conn-1")["ARN"]
        assert get_secret_value(client, parse_secret_id(arn)) == "conn-1"
        assert get_secret_value(client, parse_secret_id(arn[:-7])) == "conn-1"

    def test_version_stage_and_id(self, client):
        """AWSPREVIOUS and a version id select older versions than AWSCURRENT."""
        first = client.create_secret(Name="/app/db", SecretString="v1")["VersionId"]
        client.put_secret_value(SecretId="/app/db", SecretString="v2")
        secret = parse_secret_id("/app/db")
        assert get_secret_value(client, secret) == "v2"
        assert get_secret_value(client, secret, version_stage="AWSPREVIOUS") == "v1"
        assert get_secret_value(client, secret, version_id=first) == "v1"

    def test_missing(self, client):
        """A missing secret raises NotFoundError naming it, chained to the ClientError."""
        with pytest.raises(NotFoundError) as info:
            get_secret_value(client, parse_secret_id("/app/none"))
        assert info.value.names == ("/app/none",)
        assert str(info.value) == "GetSecretValue: not found: /app/none (ResourceNotFoundException)"
        assert isinstance(info.value.__cause__, ClientError)

    def test_missing_stage(self, client):
        """A stage the secret lacks is not found, and the message names the stage."""
        client.create_secret(Name="/app/db", SecretString="v1")
        with pytest.raises(NotFoundError) as info:
            get_secret_value(client, parse_secret_id("/app/db"), version_stage="AWSPREVIOUS")
        assert info.value.names == ("/app/db",)
        assert str(info.value) == (
            "GetSecretValue: not found: /app/db (VersionStage=AWSPREVIOUS) "
            "(ResourceNotFoundException)"
        )
        assert isinstance(info.value.__cause__, ClientError)

    def test_other_error(self, client):
        """A secret marked for deletion raises FetchError with the code, not AWS's message."""
        client.create_secret(Name="/app/db", SecretString="conn-1")
        client.delete_secret(SecretId="/app/db")
        with pytest.raises(FetchError) as info:
            get_secret_value(client, parse_secret_id("/app/db"))
        assert str(info.value) == "GetSecretValue failed for /app/db: InvalidRequestException"
        assert info.value.transient is False
        assert isinstance(info.value.__cause__, ClientError)


class TestBatchGetSecretValues:
    """Many secrets by BatchGetSecretValue with an id list."""

    def test_25_secrets_in_two_calls_without_the_decoy(self, client):
        """25 ids take calls of 20 and 5 ids; a secret whose name extends one of ours stays out."""
        for number in range(1, 26):
            client.create_secret(Name=f"/app/s{number}", SecretString=f"value-{number}")
        client.create_secret(Name="/app/s10-decoy", SecretString="decoy")
        calls = batch_calls(client)
        secrets = [parse_secret_id(f"/app/s{number}") for number in range(1, 26)]
        values = batch_get_secret_values(client, secrets)
        # The two calls run at once, in either order.
        assert sorted(len(call) for call in calls) == [5, BATCH_GET_SECRET_VALUE_LIMIT]
        assert values == {secret: f"value-{secret.key[1:]}" for secret in secrets}
        assert "decoy" not in values.values()

    def test_names_and_arns_map_back(self, client):
        """A name, a partial ARN and a complete ARN each get their own value back."""
        arn_a = client.create_secret(Name="/app/a", SecretString="A")["ARN"]
        arn_b = client.create_secret(Name="/app/b", SecretString="B")["ARN"]
        client.create_secret(Name="/app/c", SecretBinary=b"C")
        secrets = [parse_secret_id(arn_a), parse_secret_id(arn_b[:-7]), parse_secret_id("/app/c")]
        assert batch_get_secret_values(client, secrets) == {
            secrets[0]: "A",
            secrets[1]: "B",
            secrets[2]: b"C",
        }

    def test_all_missing_in_one_error(self, client):
        """Missing ids from both calls of a 22-id group land in one NotFoundError."""
        for number in range(1, 21):
            client.create_secret(Name=f"/app/s{number}", SecretString="x")
        ids = ["/app/none1"] + [f"/app/s{n}" for n in range(1, 21)] + ["/app/none2"]
        calls = batch_calls(client)
        with pytest.raises(NotFoundError) as info:
            batch_get_secret_values(client, [parse_secret_id(i) for i in ids])
        assert len(calls) == 2
        assert info.value.names == ("/app/none1", "/app/none2")
        assert str(info.value) == ("BatchGetSecretValue: secrets not found: /app/none1, /app/none2")

    def test_other_error_code(self, client):
        """A per-secret error other than not-found raises FetchError naming the id and code."""
        client.create_secret(Name="/app/ok", SecretString="x")
        client.create_secret(Name="/app/gone", SecretString="value-of-gone")
        client.delete_secret(SecretId="/app/gone")
        with pytest.raises(FetchError) as info:
            batch_get_secret_values(
                client, [parse_secret_id("/app/ok"), parse_secret_id("/app/gone")]
            )
        assert (
            str(info.value) == "BatchGetSecretValue failed for /app/gone (InvalidRequestException)"
        )
        assert info.value.transient is False

    def test_other_and_missing_together(self, client):
        """With a non-not-found error present, one FetchError names every failed id and code."""
        client.create_secret(Name="/app/gone", SecretString="x")
        client.delete_secret(SecretId="/app/gone")
        with pytest.raises(FetchError) as info:
            batch_get_secret_values(
                client, [parse_secret_id("/app/none"), parse_secret_id("/app/gone")]
            )
        assert str(info.value) == (
            "BatchGetSecretValue failed for "
            "/app/none (ResourceNotFoundException), /app/gone (InvalidRequestException)"
        )

    def test_repeated_ids_sent_once(self, client):
        """An id given twice is sent once and answered for both."""
        client.create_secret(Name="/app/a", SecretString="A")
        client.create_secret(Name="/app/b", SecretString="B")
        calls = batch_calls(client)
        a, b = parse_secret_id("/app/a"), parse_secret_id("/app/b")
        assert batch_get_secret_values(client, [a, b, a]) == {a: "A", b: "B"}
        assert calls == [["/app/a", "/app/b"]]

    def test_unanswered_id_is_missing(self, stubbed):
        """An id in neither SecretValues nor Errors is reported as not found."""
        client, stubber = stubbed
        stubber.add_response(
            "batch_get_secret_value",
            {"SecretValues": [{"ARN": ARN, "Name": "/app/db", "SecretString": "x"}], "Errors": []},
            {"SecretIdList": ["/app/db", "/app/other"]},
        )
        with pytest.raises(NotFoundError) as info:
            batch_get_secret_values(
                client, [parse_secret_id("/app/db"), parse_secret_id("/app/other")]
            )
        assert info.value.names == ("/app/other",)

    def test_next_token_followed(self, stubbed):
        """A NextToken in the answer is followed with the same id list."""
        client, stubber = stubbed
        other = ARN.replace("/app/db-AbCdEf", "/app/other-XyZ123")
        stubber.add_response(
            "batch_get_secret_value",
            {
                "SecretValues": [{"ARN": ARN, "Name": "/app/db", "SecretString": "x"}],
                "NextToken": "t",
            },
            {"SecretIdList": [ARN, other[:-7]]},
        )
        stubber.add_response(
            "batch_get_secret_value",
            {"SecretValues": [{"ARN": other, "Name": "/app/other", "SecretBinary": b"y"}]},
            {"SecretIdList": [ARN, other[:-7]], "NextToken": "t"},
        )
        secrets = [parse_secret_id(ARN), parse_secret_id(other[:-7])]
        assert batch_get_secret_values(client, secrets) == {secrets[0]: "x", secrets[1]: b"y"}

    def test_error_echoing_full_arn(self, stubbed):
        """An error naming the complete ARN is matched to the partial ARN that was asked for."""
        client, stubber = stubbed
        stubber.add_response(
            "batch_get_secret_value",
            {
                "SecretValues": [
                    {"ARN": ARN[:-13] + "ok-AbCdEf", "Name": "/app/ok", "SecretString": "x"}
                ],
                "Errors": [{"SecretId": ARN, "ErrorCode": "DecryptionFailure"}],
            },
            {"SecretIdList": [ARN[:-7], "/app/ok"]},
        )
        with pytest.raises(FetchError) as info:
            batch_get_secret_values(client, [parse_secret_id(ARN[:-7]), parse_secret_id("/app/ok")])
        assert str(info.value) == f"BatchGetSecretValue failed for {ARN[:-7]} (DecryptionFailure)"

    def test_access_denied_for_one_secret(self, stubbed):
        """A per-secret AccessDeniedException (no GetSecretValue on it) raises FetchError."""
        client, stubber = stubbed
        stubber.add_response(
            "batch_get_secret_value",
            {
                "SecretValues": [{"ARN": ARN, "Name": "/app/db", "SecretString": "x"}],
                "Errors": [{"SecretId": "/app/locked", "ErrorCode": "AccessDeniedException"}],
            },
            {"SecretIdList": ["/app/db", "/app/locked"]},
        )
        with pytest.raises(FetchError) as info:
            batch_get_secret_values(
                client, [parse_secret_id("/app/db"), parse_secret_id("/app/locked")]
            )
        assert (
            str(info.value) == "BatchGetSecretValue failed for /app/locked (AccessDeniedException)"
        )
        assert info.value.transient is False

    def test_whole_call_throttled(self, stubbed):
        """A throttled batch is read with GetSecretValue calls; throttled too, a throttled error."""
        client, stubber = stubbed
        stubber.add_client_error(
            "batch_get_secret_value", service_error_code="ThrottlingException", http_status_code=400
        )
        for _ in range(2):
            stubber.add_client_error(
                "get_secret_value", service_error_code="ThrottlingException", http_status_code=400
            )
        with pytest.raises(FetchError) as info:
            batch_get_secret_values(client, [parse_secret_id("/app/db"), parse_secret_id("/app/x")])
        assert str(info.value) == (
            "BatchGetSecretValue failed for /app/db (ThrottlingException), "
            "/app/x (ThrottlingException)"
        )
        assert (info.value.transient, info.value.throttled) == (True, True)
