"""transform= on every cached provider: callables, per-value for groups, once per S3 download."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from dependency_injector import containers
from moto import mock_aws
from pydantic import BaseModel

from lambda_cache_di import (
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
    TransformError,
    prefetch,
)
from lambda_cache_di.testing import FakeClock

MARKER = "hunter2-93af"


class UserPassword(BaseModel):
    user: str
    password: str


def walk_chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception chained to it."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def assert_no_marker(error: BaseException) -> None:
    """No message, argument, chained cause or traceback frame local holds the marker."""
    for link in walk_chain(error):
        assert MARKER not in str(link)
        assert all(MARKER not in repr(arg) for arg in link.args)
        traceback = link.__traceback__
        while traceback is not None:
            for value in traceback.tb_frame.f_locals.values():
                assert MARKER not in repr(value)
            traceback = traceback.tb_next


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        ssm.put_parameter(Name="/app/a", Value="1", Type="String")
        ssm.put_parameter(Name="/app/b", Value="2", Type="String")
        ssm.put_parameter(Name="/app/doc", Value='{"n": 3}', Type="String")
        creds = {"user": "app", "password": MARKER}
        secrets.create_secret(Name="/app/db", SecretString=json.dumps(creds))
        secrets.create_secret(Name="/app/other", SecretString=json.dumps({"x": 1}))
        secrets.create_secret(Name="/app/broken", SecretString=f"not json {MARKER}")
        s3.create_bucket(Bucket="models-bucket")
        s3.put_object(Bucket="models-bucket", Key="m.json", Body=b'{"version": 1}')
        yield {"ssm": ssm, "secretsmanager": secrets, "s3": s3}


class TestCallables:
    """A callable transform's result is what the provider caches and returns."""

    def test_pydantic_model_once_per_fetch(self, clients: dict[str, Any]) -> None:
        """model_validate_json runs once per fetch; warm calls return the same model."""
        calls: list[str] = []

        def validate(text: str) -> UserPassword:
            calls.append("validate")
            return UserPassword.model_validate_json(text)

        clock = FakeClock()
        provider = Secret(
            "/app/db", transform=validate, client=clients["secretsmanager"], clock=clock
        )
        first = provider()
        assert first == UserPassword(user="app", password=MARKER)
        assert provider() is first
        assert calls == ["validate"]
        clock.tick(61)
        assert provider() == first
        assert calls == ["validate", "validate"]

    def test_parameter(self, clients: dict[str, Any]) -> None:
        """An SSMParameter's value goes through the callable."""
        assert SSMParameter("/app/a", transform=int, client=clients["ssm"])() == 1

    def test_parameter_json(self, clients: dict[str, Any]) -> None:
        """ "json" parses an SSMParameter's value."""
        assert SSMParameter("/app/doc", transform="json", client=clients["ssm"])() == {"n": 3}

    def test_groups_per_value(self, clients: dict[str, Any]) -> None:
        """For SSMParameters, SSMParametersByPath and Secrets the callable gets each value."""
        ssm = clients["ssm"]
        assert SSMParameters(["/app/a", "/app/b"], transform=int, client=ssm)() == {
            "a": 1,
            "b": 2,
        }
        by_path = SSMParametersByPath("/app/", transform=len, client=ssm)()
        assert by_path == {"a": 1, "b": 1, "doc": 8}
        secrets = Secrets(
            ["/app/db", "/app/other"], transform=json.loads, client=clients["secretsmanager"]
        )()
        assert secrets == {"db": {"user": "app", "password": MARKER}, "other": {"x": 1}}

    def test_raising_callable_holds_no_value(self, clients: dict[str, Any]) -> None:
        """A validation failure is a TransformError with no value anywhere in it."""

        class Strict(BaseModel):
            user: int

        provider = Secret(
            "/app/db", transform=Strict.model_validate_json, client=clients["secretsmanager"]
        )
        with pytest.raises(TransformError) as caught:
            provider()
        assert str(caught.value) == (
            "secret /app/db failed to transform: model_validate_json raised ValidationError"
        )
        assert_no_marker(caught.value)
        assert provider.age is None

    def test_group_failure_names_the_member(self, clients: dict[str, Any]) -> None:
        """One value refused in a group fails the lot, naming that member only."""
        provider = Secrets(
            ["/app/db", "/app/broken"], transform="json", client=clients["secretsmanager"]
        )
        with pytest.raises(TransformError) as caught:
            provider()
        assert str(caught.value) == "secret /app/broken is not valid JSON: line 1 column 1"
        assert_no_marker(caught.value)


class TestS3File:
    """The transform of an S3File gets the Path, once per download."""

    def test_once_per_download(self, clients: dict[str, Any], tmp_path: Path) -> None:
        """A 304 keeps the transformed value; a new object is transformed again."""
        loads: list[Path] = []

        def load(path: Path) -> Any:
            loads.append(path)
            return json.loads(path.read_bytes())

        clock = FakeClock()
        provider = S3File(
            "s3://models-bucket/m.json",
            directory=tmp_path,
            transform=load,
            client=clients["s3"],
            clock=clock,
        )
        first = provider()
        assert first == {"version": 1}
        clock.tick(61)
        assert provider() is first
        assert loads == [provider.local_path]
        clients["s3"].put_object(Bucket="models-bucket", Key="m.json", Body=b'{"version": 2}')
        clock.tick(61)
        assert provider() == {"version": 2}
        assert loads == [provider.local_path, provider.local_path]

    def test_failed_transform_retried_on_unchanged_object(
        self, clients: dict[str, Any], tmp_path: Path
    ) -> None:
        """After a failed transform, an unchanged object is transformed again, not served old."""
        outcomes = [ValueError("first load fails"), {"loaded": True}]

        def load(path: Path) -> Any:
            outcome = outcomes.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        provider = S3File(
            "s3://models-bucket/m.json", directory=tmp_path, transform=load, client=clients["s3"]
        )
        with pytest.raises(TransformError):
            provider()
        assert provider.refresh() == {"loaded": True}


class TestPrefetch:
    """prefetch applies the provider's own transform to batched values."""

    def test_batched_values_transformed_as_by_the_provider(self, clients: dict[str, Any]) -> None:
        """A batched Secret and SSMParameter are cached transformed; a call makes no request."""
        container = containers.DynamicContainer()
        container.creds = Secret(
            "/app/db", transform=UserPassword.model_validate_json, client=clients["secretsmanager"]
        )
        container.a = SSMParameter("/app/a", transform=int, client=clients["ssm"])
        assert prefetch(container) == {}
        assert container.creds.stats.misses == 1
        assert container.creds() == UserPassword(user="app", password=MARKER)
        assert container.a() == 1
        assert container.creds.stats.misses == 1

    def test_errors_hold_no_secret(self, clients: dict[str, Any]) -> None:
        """A failing transform in a batch with a healthy secret: no value in the returned error."""
        container = containers.DynamicContainer()
        client = clients["secretsmanager"]
        container.healthy = Secret("/app/db", client=client)
        container.broken = Secret("/app/broken", transform="json", client=client)
        failures = prefetch(container)
        assert list(failures) == ["broken"]
        assert str(failures["broken"]) == "secret /app/broken is not valid JSON: line 1 column 1"
        assert_no_marker(failures["broken"])
        assert container.healthy.fresh
