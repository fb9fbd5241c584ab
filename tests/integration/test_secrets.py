"""Secret and Secrets over HTTP against the moto server, with real boto3 clients."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import (
    AwsClients,
    FetchError,
    NotFoundError,
    Secret,
    Secrets,
    TransformError,
)
from lambda_cache_di.testing import FakeClock
from tests.recording import batch_calls


@pytest.fixture
def secretsmanager(aws_client: Any) -> Any:
    return aws_client("secretsmanager")


def chain_text(exc: BaseException) -> str:
    """The messages, args and parser documents of `exc` and of its whole chain."""
    parts, pending, seen = [], [exc], set()
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        parts += [str(error), repr(error.args), repr(getattr(error, "doc", ""))]
        pending += [error.__cause__, error.__context__]
    return "\n".join(parts)


class TestSecret:
    """One secret over HTTP."""

    def test_string_binary_and_json(self, secretsmanager):
        """A string comes back as str, a binary as bytes, JSON parsed on request."""
        secretsmanager.create_secret(Name="/prod/db/conn_string", SecretString="postgres://a")
        secretsmanager.create_secret(Name="/prod/cert", SecretBinary=b"\x00\xff\x10")
        secretsmanager.create_secret(Name="/prod/db/creds", SecretString='{"user": "app"}')
        assert Secret("/prod/db/conn_string", client=secretsmanager)() == "postgres://a"
        assert Secret("/prod/cert", client=secretsmanager)() == b"\x00\xff\x10"
        assert Secret("/prod/db/creds", transform="json", client=secretsmanager)() == {
            "user": "app"
        }

    def test_arns(self, secretsmanager):
        """A complete and a partial ARN both fetch the secret."""
        arn = secretsmanager.create_secret(Name="/prod/db", SecretString="conn")["ARN"]
        assert Secret(arn, client=secretsmanager)() == "conn"
        assert Secret(arn[:-7], client=secretsmanager)() == "conn"

    def test_previous_beside_current_after_rotation(self, secretsmanager):
        """After put_secret_value, AWSCURRENT and AWSPREVIOUS providers differ and both cache."""
        secretsmanager.create_secret(Name="/prod/key", SecretString="key-1")
        clock = FakeClock()
        current = Secret("/prod/key", client=secretsmanager, clock=clock)
        previous = Secret(
            "/prod/key", version_stage="AWSPREVIOUS", client=secretsmanager, clock=clock
        )
        assert current() == "key-1"
        with pytest.raises(NotFoundError) as info:
            previous()
        assert info.value.names == ("/prod/key",)
        secretsmanager.put_secret_value(SecretId="/prod/key", SecretString="key-2")
        assert (current(), previous()) == ("key-1", "key-1")
        clock.tick(60)
        assert (current(), previous()) == ("key-2", "key-1")

    def test_default_client_and_aws_clients(self, secretsmanager):
        """client=None and an AwsClients provider both reach the moto endpoint."""
        secretsmanager.create_secret(Name="/prod/db", SecretString="conn")

        class App(containers.DeclarativeContainer):
            aws = providers.Container(AwsClients)
            by_default = Secret("/prod/db")
            by_container = Secret("/prod/db", client=aws.secretsmanager)

        app = App()
        assert (app.by_default(), app.by_container()) == ("conn", "conn")

    def test_other_error(self, secretsmanager):
        """A secret marked for deletion raises FetchError with its code; the cause is botocore's."""
        secretsmanager.create_secret(Name="/prod/gone", SecretString="gone-value")
        secretsmanager.delete_secret(SecretId="/prod/gone")
        with pytest.raises(FetchError) as info:
            Secret("/prod/gone", client=secretsmanager)()
        assert str(info.value) == "GetSecretValue failed for /prod/gone: InvalidRequestException"
        assert type(info.value.__cause__).__name__ == "InvalidRequestException"


class TestSecrets:
    """A group over HTTP, by BatchGetSecretValue."""

    def test_25_secrets_in_two_calls_with_a_decoy(self, secretsmanager):
        """25 secrets take exactly 2 calls (20 + 5); /app/s10-decoy is not in the result."""
        for number in range(1, 26):
            secretsmanager.create_secret(Name=f"/app/s{number}", SecretString=f"v{number}")
        secretsmanager.create_secret(Name="/app/s10-decoy", SecretString="decoy")
        calls = batch_calls(secretsmanager)
        group = Secrets([f"/app/s{n}" for n in range(1, 26)], client=secretsmanager)
        expected = {f"s{n}": f"v{n}" for n in range(1, 26)}
        assert group() == expected
        assert group() == expected
        assert [len(call) for call in calls] == [20, 5]
        assert [call[0] for call in calls] == ["/app/s1", "/app/s21"]

    def test_names_and_arns(self, secretsmanager):
        """A name, a complete ARN and a partial ARN map back; ARN keys lose the suffix."""
        arn_a = secretsmanager.create_secret(Name="/prod/a", SecretString="A")["ARN"]
        arn_b = secretsmanager.create_secret(Name="/prod/b", SecretBinary=b"B")["ARN"]
        secretsmanager.create_secret(Name="/prod/c", SecretString='{"c": 3}')
        assert Secrets([arn_a, arn_b[:-7], "/prod/c"], client=secretsmanager)() == {
            "a": "A",
            "b": b"B",
            "c": '{"c": 3}',
        }
        assert Secrets({"c": "/prod/c"}, transform="json", client=secretsmanager)() == {
            "c": {"c": 3}
        }

    def test_missing_across_calls(self, secretsmanager):
        """Missing ids from both calls of a 22-id group are in one error; nothing is cached."""
        for number in range(1, 21):
            secretsmanager.create_secret(Name=f"/app/s{number}", SecretString="x")
        ids = ["/app/none1", *(f"/app/s{n}" for n in range(1, 21)), "/app/none2"]
        calls = batch_calls(secretsmanager)
        group = Secrets(ids, client=secretsmanager)
        with pytest.raises(NotFoundError) as info:
            group()
        assert info.value.names == ("/app/none1", "/app/none2")
        secretsmanager.create_secret(Name="/app/none1", SecretString="1")
        secretsmanager.create_secret(Name="/app/none2", SecretString="2")
        assert group()["none2"] == "2"
        assert len(calls) == 4

    def test_other_error_code(self, secretsmanager):
        """A per-secret InvalidRequestException fails the group with a FetchError naming it."""
        secretsmanager.create_secret(Name="/prod/a", SecretString="A")
        secretsmanager.create_secret(Name="/prod/gone", SecretString="gone-value")
        secretsmanager.delete_secret(SecretId="/prod/gone")
        group = Secrets(["/prod/a", "/prod/gone"], client=secretsmanager)
        with pytest.raises(FetchError) as info:
            group()
        assert str(info.value) == (
            "BatchGetSecretValue failed for /prod/gone (InvalidRequestException)"
        )
        assert group.age is None


class TestNoValueLeaks:
    """No secret value in our logs, reprs, stats or errors, over a real HTTP exchange."""

    def test_logs_repr_stats_and_errors(self, secretsmanager, caplog):
        """With every logger at DEBUG, lambda_cache_di's records, reprs and errors hold no value."""
        secretsmanager.create_secret(Name="/prod/db", SecretString="pw-SENTINEL-1")
        secretsmanager.create_secret(Name="/prod/bad", SecretString="{pw-SENTINEL-2")
        caplog.set_level(logging.DEBUG)
        single = Secret("/prod/db", client=secretsmanager)
        group = Secrets(["/prod/db", "/prod/bad"], client=secretsmanager)
        broken = Secret("/prod/bad", transform="json", client=secretsmanager)
        assert single() == "pw-SENTINEL-1"
        assert group()["db"] == "pw-SENTINEL-1"
        with pytest.raises(TransformError) as info:
            broken()
        ours = [r.getMessage() for r in caplog.records if r.name.startswith("lambda_cache_di")]
        assert ours == [
            "GetSecretValue /prod/db",
            "BatchGetSecretValue: 2 secrets in 1 calls",
            "GetSecretValue /prod/bad",
        ]
        # botocore logs the response bodies at DEBUG; the library redacts those of its requests.
        assert any(r.name == "botocore.parsers" for r in caplog.records)
        assert not any("SENTINEL" in r.getMessage() for r in caplog.records)
        texts = [repr(p) + str(p.stats) for p in (single, group, broken)]
        texts.append(chain_text(info.value))
        assert not [text for text in texts if "SENTINEL" in text]
