"""Secret and Secrets providers against moto in-process, aged by a fake clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from dependency_injector import containers
from moto import mock_aws

from lambda_cache_di import ConfigurationError, FetchError, NotFoundError, Secret, Secrets
from lambda_cache_di.core.names import SecretId
from lambda_cache_di.errors import TransformError
from lambda_cache_di.testing import FakeClock
from tests.frames import exception_chain
from tests.recording import count_calls

ACCOUNT_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"


@pytest.fixture(scope="module")
def session() -> Any:
    """One boto3 session, so that each test's client reuses its loaded service model."""
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def client(session: Any) -> Iterator[Any]:
    with mock_aws():
        yield session.client("secretsmanager")


def chain_text(exc: BaseException) -> str:
    """Everything the chain of `exc` would show: messages, args and parser documents."""
    parts = []
    for error in exception_chain(exc):
        parts += [str(error), repr(error.args), repr(getattr(error, "doc", ""))]
        parts.append(repr(getattr(error, "object", "")))
    return "\n".join(parts)


class TestSecret:
    """One secret, cached."""

    def test_string_cached_until_max_age(self, client):
        """Within max age no call is made; at max age the new value is fetched."""
        client.create_secret(Name="/prod/db/conn_string", SecretString="conn-1")
        clock = FakeClock()
        secret = Secret(
            "/prod/db/conn_string", client=client, max_age_in_seconds=60, clock=clock, jitter=0
        )
        calls = count_calls(client, "GetSecretValue")
        assert secret() == "conn-1"
        client.put_secret_value(SecretId="/prod/db/conn_string", SecretString="conn-2")
        clock.tick(59)
        assert secret() == "conn-1"
        clock.tick(1)
        assert secret() == "conn-2"
        assert calls == [{"SecretId": "/prod/db/conn_string"}] * 2
        assert (secret.stats.hits, secret.stats.misses, secret.stats.errors) == (1, 2, 0)

    def test_binary(self, client):
        """A binary secret is returned as bytes."""
        client.create_secret(Name="/prod/cert", SecretBinary=b"\x00\x01cert")
        assert Secret("/prod/cert", client=client)() == b"\x00\x01cert"

    def test_json(self, client):
        """transform='json' returns the parsed document."""
        client.create_secret(Name="/prod/db", SecretString='{"username": "app", "port": 5432}')
        assert Secret("/prod/db", transform="json", client=client)() == {
            "username": "app",
            "port": 5432,
        }

    def test_json_object_is_shared(self, client):
        """Within max age every call returns the same parsed object, parsed once."""
        client.create_secret(Name="/prod/db", SecretString='{"username": "app"}')
        secret = Secret("/prod/db", transform="json", client=client)
        assert secret() is secret()

    def test_json_binary(self, client):
        """transform='json' parses a binary secret holding UTF-8 JSON."""
        client.create_secret(Name="/prod/db", SecretBinary=b'{"username": "app"}')
        assert Secret("/prod/db", transform="json", client=client)() == {"username": "app"}

    def test_json_failure_keeps_the_value_out(self, client):
        """A secret that is not JSON raises TransformError without the value; nothing is cached."""
        client.create_secret(Name="/prod/db", SecretString='{"password": "hunter2",}')
        secret = Secret("/prod/db", transform="json", client=client)
        calls = count_calls(client, "GetSecretValue")
        with pytest.raises(TransformError) as info:
            secret()
        assert str(info.value) == "secret /prod/db is not valid JSON: line 1 column 24"
        assert "hunter2" not in chain_text(info.value)
        assert list(exception_chain(info.value)) == [info.value]
        with pytest.raises(TransformError) as again:
            secret()
        assert "hunter2" not in chain_text(again.value)
        assert len(calls) == 2
        assert secret.age is None

    def test_complete_and_partial_arn(self, client):
        """A complete ARN and a partial ARN fetch the same secret."""
        arn = client.create_secret(Name="/prod/db", SecretString="conn-1")["ARN"]
        complete = Secret(arn, client=client)
        partial = Secret(arn[:-7], client=client)
        assert (complete(), partial()) == ("conn-1", "conn-1")
        assert complete.secret_id == SecretId(arn, "/prod/db")
        assert partial.secret_id == SecretId(arn[:-7], "/prod/db")

    def test_previous_beside_current(self, client):
        """After a rotation AWSCURRENT and AWSPREVIOUS providers hold different values."""
        first = client.create_secret(Name="/prod/key", SecretString="key-1")["VersionId"]
        client.put_secret_value(SecretId="/prod/key", SecretString="key-2")
        current = Secret("/prod/key", client=client)
        previous = Secret("/prod/key", version_stage="AWSPREVIOUS", client=client)
        pinned = Secret("/prod/key", version_id=first, client=client)
        assert (current(), previous(), pinned()) == ("key-2", "key-1", "key-1")
        assert (current(), previous(), pinned()) == ("key-2", "key-1", "key-1")
        assert [p.stats.misses for p in (current, previous, pinned)] == [1, 1, 1]

    def test_stage_and_version_together(self, client):
        """A stage and a version id that agree fetch that version; ones that disagree fail."""
        first = client.create_secret(Name="/prod/key", SecretString="key-1")["VersionId"]
        client.put_secret_value(SecretId="/prod/key", SecretString="key-2")
        agreeing = Secret("/prod/key", version_stage="AWSPREVIOUS", version_id=first, client=client)
        assert agreeing() == "key-1"
        disagreeing = Secret(
            "/prod/key", version_stage="AWSCURRENT", version_id=first, client=client
        )
        with pytest.raises(FetchError) as info:
            disagreeing()
        assert str(info.value) == (
            f"GetSecretValue failed for /prod/key (VersionStage=AWSCURRENT, VersionId={first}): "
            "InvalidRequestException"
        )

    def test_missing(self, client):
        """A missing secret raises NotFoundError; the next call asks again."""
        secret = Secret("/prod/none", client=client)
        calls = count_calls(client, "GetSecretValue")
        for _ in range(2):
            with pytest.raises(NotFoundError) as info:
                secret()
            assert info.value.names == ("/prod/none",)
        assert len(calls) == 2

    def test_properties(self, client):
        """The definition is readable: id, stage, version and transform."""
        secret = Secret("/prod/key", transform="json", version_stage="AWSPENDING")
        assert secret.secret_id == SecretId("/prod/key", "/prod/key")
        assert (secret.version_stage, secret.version_id, secret.transform) == (
            "AWSPENDING",
            None,
            "json",
        )
        assert secret.service == "secretsmanager"

    def test_container_copy_keeps_the_definition(self, client):
        """A container instance copies the provider with its stage, version and transform."""
        version = "a" * 32

        class App(containers.DeclarativeContainer):
            key = Secret("/prod/key", transform="json", version_stage="S", version_id=version)

        copied = App().key
        assert copied is not App.key
        assert (copied.secret_id.id, copied.transform, copied.version_stage) == (
            "/prod/key",
            "json",
            "S",
        )
        assert copied.version_id == version

    def test_repr_names_the_resource(self, client):
        """repr names the id and stage, and after a fetch the age, never the value."""
        client.create_secret(Name="/prod/key", SecretString="conn-secret-value")
        client.put_secret_value(SecretId="/prod/key", SecretString="conn-secret-value-2")
        clock = FakeClock()
        secret = Secret("/prod/key", version_stage="AWSPREVIOUS", client=client, clock=clock)
        secret()
        clock.tick(2)
        assert repr(secret) == (
            "<Secret '/prod/key (version_stage=AWSPREVIOUS)' max_age=60s age=2.0s>"
        )
        assert str(secret.stats) == "CacheStats(hits=0, misses=1, errors=0, stale=0, throttled=0)"


class TestSecrets:
    """A group of secrets as one dict."""

    def test_list_keyed_by_last_segment(self, client):
        """A list gives keys from the last path segment; strings and bytes as stored."""
        client.create_secret(Name="/prod/api/stripe", SecretString="sk-1")
        client.create_secret(Name="/prod/api/cert", SecretBinary=b"\x00")
        group = Secrets(["/prod/api/stripe", "/prod/api/cert"], client=client)
        assert group() == {"stripe": "sk-1", "cert": b"\x00"}
        assert group.ids == {
            "stripe": SecretId("/prod/api/stripe", "/prod/api/stripe"),
            "cert": SecretId("/prod/api/cert", "/prod/api/cert"),
        }

    def test_arns_keyed_without_suffix(self, client):
        """Complete and partial ARNs are keyed by the name without AWS's suffix."""
        arn_a = client.create_secret(Name="/prod/a", SecretString="A")["ARN"]
        arn_b = client.create_secret(Name="/prod/b", SecretString="B")["ARN"]
        group = Secrets([arn_a, arn_b[:-7]], client=client)
        assert group() == {"a": "A", "b": "B"}

    def test_mapping_and_json(self, client):
        """A mapping chooses the keys and transform='json' parses each value."""
        client.create_secret(Name="/prod/orders/db", SecretString='{"host": "o"}')
        client.create_secret(Name="/dev/orders/db", SecretString='{"host": "d"}')
        group = Secrets(
            {"prod": "/prod/orders/db", "dev": "/dev/orders/db"}, transform="json", client=client
        )
        assert group() == {"prod": {"host": "o"}, "dev": {"host": "d"}}
        assert group.transform == "json"

    def test_json_failure_fails_the_group(self, client):
        """One value that is not JSON fails the whole group, without the value."""
        client.create_secret(Name="/prod/a", SecretString='{"ok": 1}')
        client.create_secret(Name="/prod/b", SecretString="plain-secret-text")
        group = Secrets(["/prod/a", "/prod/b"], transform="json", client=client)
        with pytest.raises(TransformError) as info:
            group()
        assert str(info.value) == "secret /prod/b is not valid JSON: line 1 column 1"
        assert "plain-secret-text" not in chain_text(info.value)
        assert group.age is None

    def test_25_secrets_in_two_calls(self, client):
        """One refresh of 25 secrets makes 2 BatchGetSecretValue calls; then none for max age."""
        for number in range(1, 26):
            client.create_secret(Name=f"/app/s{number}", SecretString=f"v{number}")
        client.create_secret(Name="/app/s1-decoy", SecretString="decoy")
        calls = count_calls(client, "BatchGetSecretValue")
        group = Secrets([f"/app/s{number}" for number in range(1, 26)], client=client)
        assert group() == {f"s{number}": f"v{number}" for number in range(1, 26)}
        assert group() == {f"s{number}": f"v{number}" for number in range(1, 26)}
        assert sorted(len(call["SecretIdList"]) for call in calls) == [5, 20]  # made at once
        assert all("Filters" not in call for call in calls)

    def test_missing_reported_together_and_not_cached(self, client):
        """Every missing id is in one NotFoundError; the next call fetches again."""
        client.create_secret(Name="/prod/a", SecretString="A")
        group = Secrets(["/prod/none1", "/prod/a", "/prod/none2"], client=client)
        calls = count_calls(client, "BatchGetSecretValue")
        with pytest.raises(NotFoundError) as info:
            group()
        assert info.value.names == ("/prod/none1", "/prod/none2")
        client.create_secret(Name="/prod/none1", SecretString="1")
        client.create_secret(Name="/prod/none2", SecretString="2")
        assert group() == {"none1": "1", "a": "A", "none2": "2"}
        assert len(calls) == 2

    def test_other_error_code(self, client):
        """A secret marked for deletion fails the group with a FetchError naming it and the code."""
        client.create_secret(Name="/prod/a", SecretString="A")
        client.create_secret(Name="/prod/gone", SecretString="gone-value")
        client.delete_secret(SecretId="/prod/gone")
        with pytest.raises(FetchError) as info:
            Secrets(["/prod/a", "/prod/gone"], client=client)()
        assert (
            str(info.value) == "BatchGetSecretValue failed for /prod/gone (InvalidRequestException)"
        )
        assert "gone-value" not in chain_text(info.value)


class TestConfiguration:
    """Bad definitions fail when the provider is constructed, naming the argument."""

    @pytest.mark.parametrize(
        ("build", "message"),
        [
            (lambda: Secret(""), "secret_id must not be empty"),
            (lambda: Secret(42), "secret_id must be a str, not int"),
            (
                lambda: Secret("arn:aws:s3:::bucket"),
                "secret_id 'arn:aws:s3:::bucket' is not a Secrets Manager secret ARN",
            ),
            (
                lambda: Secret("/db", transform="yaml"),
                "transform must be None, 'json' or a callable, not 'yaml'",
            ),
            (
                lambda: Secret("/db", version_stage=""),
                "version_stage must be a non-empty str of at most 256 characters, not ''",
            ),
            (
                lambda: Secret("/db", version_id="v1"),
                "version_id must be 32-64 letters, digits or '-' (a version UUID), not 'v1'",
            ),
            (lambda: Secret("/db", max_age_in_seconds=-1), "max_age_in_seconds must be finite"),
            (lambda: Secrets([]), "ids must not be empty"),
            (lambda: Secrets("/db"), "ids must be a list of identifiers or a mapping"),
            (lambda: Secrets(["/db", "bad name!"]), "ids item 'bad name!' is not a valid secret"),
            (
                lambda: Secrets(["/db"], transform="xml"),
                "transform must be None, 'json' or a callable",
            ),
            (
                lambda: Secrets(["/prod/db", "/dev/db"]),
                "ids: more than one entry would be returned under key(s) 'db'",
            ),
        ],
    )
    def test_rejected(self, build, message):
        """Each bad definition raises ConfigurationError with a message naming the argument."""
        with pytest.raises(ConfigurationError) as info:
            build()
        assert str(info.value).startswith(message)

    def test_arn_and_name_of_same_key(self):
        """A complete ARN and a name with the same last segment collide as keys."""
        with pytest.raises(ConfigurationError, match="ids: more than one entry"):
            Secrets([ACCOUNT_ARN + "/prod/db-AbCdEf", "/dev/db"])

    def test_stage_and_version_together(self):
        """version_stage and version_id may be given together (AWS checks that they agree)."""
        secret = Secret("/db", version_stage="AWSCURRENT", version_id="a" * 36)
        assert (secret.version_stage, secret.version_id) == ("AWSCURRENT", "a" * 36)


class TestNoValueLeaks:
    """Secret values never reach our logs, reprs, stats or error messages."""

    def test_debug_logs(self, client, caplog):
        """At DEBUG, nothing logged by lambda_cache_di holds a secret value."""
        client.create_secret(Name="/prod/one", SecretString="value-one-XYZ")
        client.create_secret(Name="/prod/two", SecretString='{"p": "value-two-XYZ"}')
        caplog.set_level(logging.DEBUG)
        Secret("/prod/one", client=client)()
        Secrets(["/prod/one", "/prod/two"], transform=None, client=client)()
        Secret("/prod/two", transform="json", client=client)()
        ours = [r for r in caplog.records if r.name.startswith("lambda_cache_di")]
        assert [r.getMessage() for r in ours] == [
            "GetSecretValue /prod/one",
            "BatchGetSecretValue: 2 secrets in 1 calls",
            "GetSecretValue /prod/two",
        ]
        assert all("XYZ" not in r.getMessage() for r in ours)

    def test_repr_and_stats_after_use(self, client):
        """After a fetch, a hit and an error, repr and stats hold no value."""
        client.create_secret(Name="/prod/one", SecretString="value-one-XYZ")
        for provider in (
            Secret("/prod/one", client=client),
            Secrets(["/prod/one"], client=client),
        ):
            provider()
            provider()
            assert "XYZ" not in repr(provider)
            assert "XYZ" not in str(provider.stats)


def test_transform_error_traceback_frames_hold_no_secret():
    """No frame of a JSON failure's traceback keeps the secret (error reporters record locals)."""
    from moto import mock_aws

    from lambda_cache_di import FetchError, Secret, Secrets, TransformError

    with mock_aws():
        import boto3

        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(Name="/app/broken", SecretString="not-json-VALUE-8d2f")
        providers_ = [
            Secret("/app/broken", transform="json", client=client),
            Secrets(["/app/broken"], transform="json", client=client),
        ]
        for provider in providers_:
            with pytest.raises(TransformError) as caught:
                provider()
            assert isinstance(caught.value, FetchError)
            traceback = caught.value.__traceback__
            while traceback is not None:
                for value in traceback.tb_frame.f_locals.values():
                    assert "VALUE-8d2f" not in repr(value)
                traceback = traceback.tb_next
