"""prefetch against the moto server over HTTP, counted per operation by the server."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from lambda_cache_di import (
    AwsClients,
    NotFoundError,
    S3File,
    Secret,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
    prefetch,
)
from lambda_cache_di.testing import FakeClock, MotoServer

SECRET_TEXT = "s3cr3t-value"


def container_of(**declared: Any) -> Any:
    """An instance of a declarative container holding `declared`."""
    return type("Declared", (containers.DeclarativeContainer,), dict(declared))()


class TestPrefetchOverHttp:
    def test_twelve_parameters_two_calls_then_none(
        self, aws_client: Any, moto_server: MotoServer
    ) -> None:
        """Twelve parameters on the default client: two GetParameters requests, then none."""
        ssm = aws_client("ssm")
        for i in range(12):
            ssm.put_parameter(Name=f"/app/p{i}", Value=f"{SECRET_TEXT}-{i}", Type="SecureString")
        container = container_of(**{f"p{i}": SSMParameter(f"/app/p{i}") for i in range(12)})
        moto_server.reset_counts()
        assert prefetch(container) == {}
        assert moto_server.requests == {"AmazonSSM.GetParameters": 2}
        moto_server.reset_counts()
        values = [getattr(container, f"p{i}")() for i in range(12)]
        assert values == [f"{SECRET_TEXT}-{i}" for i in range(12)]
        assert sum(moto_server.requests.values()) == 0

    def test_twenty_five_secrets_two_batch_calls(
        self, aws_client: Any, moto_server: MotoServer
    ) -> None:
        """Twenty-five secrets through AwsClients: two BatchGetSecretValue requests."""
        sm = aws_client("secretsmanager")
        for i in range(25):
            sm.create_secret(Name=f"app/s{i}", SecretString=f"{SECRET_TEXT}-{i}")
        aws = providers.Container(AwsClients)
        declared = {f"s{i}": Secret(f"app/s{i}", client=aws.secretsmanager) for i in range(25)}
        container = container_of(aws=aws, **declared)
        moto_server.reset_counts()
        assert prefetch(container) == {}
        assert moto_server.requests == {"secretsmanager.BatchGetSecretValue": 2}
        moto_server.reset_counts()
        assert container.s24() == f"{SECRET_TEXT}-24"
        assert sum(moto_server.requests.values()) == 0

    def test_mixed_container(self, aws_client: Any, moto_server: MotoServer, tmp_path: Any) -> None:
        """Groups, paths and files are fetched one by one; an overridden one is skipped."""
        ssm, s3 = aws_client("ssm"), aws_client("s3")
        for name in ("/app/a", "/app/b", "/app/c"):
            ssm.put_parameter(Name=name, Value=SECRET_TEXT, Type="String")
        s3.create_bucket(Bucket="models")
        s3.put_object(Bucket="models", Key="m.json", Body=b"{}")
        container = container_of(
            a=SSMParameter("/app/a"),
            group=SSMParameters(["/app/b", "/app/c"]),
            tree=SSMParametersByPath("/app"),
            model=S3File("s3://models/m.json", directory=tmp_path),
            gone=SSMParameter("/app/gone"),
            faked=Secret("app/none"),
        )
        container.faked.override("fake")
        moto_server.reset_counts()
        failures = prefetch(container)
        assert list(failures) == ["gone"]
        assert isinstance(failures["gone"], NotFoundError)
        # One GetParameters for the two single parameters (the missing one fails
        # alone, without a second call) and one for the group.
        assert moto_server.requests == {
            "AmazonSSM.GetParameters": 2,
            "AmazonSSM.GetParametersByPath": 1,
            "s3:GET": 1,
        }
        moto_server.reset_counts()
        assert container.a() == SECRET_TEXT
        assert container.group() == {"b": SECRET_TEXT, "c": SECRET_TEXT}
        assert sorted(container.tree()) == ["a", "b", "c"]
        assert container.model().read_bytes() == b"{}"
        assert sum(moto_server.requests.values()) == 0


def pair(port: int, key: str) -> tuple[int, str]:
    return port, key


class TestGraphOverHttp:
    """The whole graph over HTTP: nested providers, transforms, and a second prefetch."""

    def test_second_prefetch_sends_nothing(
        self, aws_client: Any, moto_server: MotoServer, tmp_path: Any
    ) -> None:
        """Nested providers are all prefetched once; prefetch again: zero requests."""
        ssm = aws_client("ssm")
        sm = aws_client("secretsmanager")
        ssm.put_parameter(Name="/app/table", Value="orders", Type="String")
        ssm.put_parameter(Name="/app/port", Value="5432", Type="String")
        sm.create_secret(Name="app/db", SecretString='{"user": "u"}')
        sm.create_secret(Name="app/api", SecretString=SECRET_TEXT)
        declared = {
            "table": SSMParameter("/app/table"),
            "selected": providers.Selector(
                providers.Object("db"), db=Secret("app/db", transform="json")
            ),
            "client": providers.Factory(
                pair, SSMParameter("/app/port", transform=int), key=Secret("app/api")
            ),
        }
        container = container_of(**declared)
        moto_server.reset_counts()
        assert prefetch(container) == {}
        assert moto_server.requests == {
            "AmazonSSM.GetParameters": 1,
            "secretsmanager.BatchGetSecretValue": 1,
        }
        moto_server.reset_counts()
        assert prefetch(container) == {}
        assert sum(moto_server.requests.values()) == 0
        assert container.selected() == {"user": "u"}
        assert container.client() == (5432, SECRET_TEXT)

    def test_s3_transform_once_per_download(
        self, aws_client: Any, moto_server: MotoServer, tmp_path: Any
    ) -> None:
        """An S3File transform runs on a download, not on a 304 at expiry."""
        s3 = aws_client("s3")
        s3.create_bucket(Bucket="models-bucket")
        s3.put_object(Bucket="models-bucket", Key="m.json", Body=b'{"v": 1}')
        loads: list[str] = []

        def load(path: Any) -> str:
            loads.append(path.read_text())
            return loads[-1]

        clock = FakeClock()
        model = S3File("s3://models-bucket/m.json", directory=tmp_path, transform=load, clock=clock)
        container = container_of(model=model)
        assert prefetch(container) == {}
        clock.tick(61)
        assert prefetch(container) == {}
        assert container.model() == '{"v": 1}'
        s3.put_object(Bucket="models-bucket", Key="m.json", Body=b'{"v": 2}')
        clock.tick(61)
        assert container.model() == '{"v": 2}'
        assert loads == ['{"v": 1}', '{"v": 2}']
