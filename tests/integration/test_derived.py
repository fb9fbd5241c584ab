"""Derived over HTTP against the moto server: a rotated secret and a new S3 object rebuild."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dependency_injector import containers

from lambda_cache_di import Derived, S3File, Secret
from lambda_cache_di.testing import FakeClock
from tests.recording import count_calls


class Handle:
    """An object built from a value: a stand-in for a connection or a loaded model."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.closed = False


def close(handle: Handle) -> None:
    handle.closed = True


class TestSecret:
    """A JSON secret rotated with put_secret_value."""

    def test_rotation_rebuilds_once_after_expiry(self, aws_client: Any) -> None:
        """Unchanged refreshes keep the handle; the rotated value builds one new handle."""
        client = aws_client("secretsmanager")
        client.create_secret(Name="/prod/db", SecretString='{"password": "pw-1"}')
        clock = FakeClock()
        built: list[Handle] = []

        def connect(creds: dict[str, str]) -> Handle:
            built.append(Handle(creds["password"]))
            return built[-1]

        class App(containers.DeclarativeContainer):
            creds = Secret("/prod/db", transform="json", client=client, clock=clock)
            conn = Derived(connect, creds, close=close)

        app = App()
        calls = count_calls(client, "GetSecretValue")
        first = app.conn()
        clock.tick(61)
        assert app.conn() is first
        client.put_secret_value(SecretId="/prod/db", SecretString='{"password": "pw-2"}')
        clock.tick(61)
        second = app.conn()
        assert [handle.value for handle in built] == ["pw-1", "pw-2"]
        assert second is built[1]
        assert (first.closed, second.closed) == (True, False)
        assert len(calls) == 3


class TestS3File:
    """An S3 object: the same local path, a new file after each new download."""

    def test_new_object_rebuilds_unchanged_object_does_not(
        self, aws_client: Any, tmp_path: Path
    ) -> None:
        """A 304 refresh keeps the loaded model; a new version loads once and closes the old."""
        s3 = aws_client("s3")
        s3.create_bucket(Bucket="models")
        s3.put_object(Bucket="models", Key="churn.json", Body=b'{"v": 1}')
        clock = FakeClock()
        loads: list[Handle] = []

        def load(path: Path) -> Handle:
            loads.append(Handle(path.read_bytes()))
            return loads[-1]

        model_file = S3File("s3://models/churn.json", client=s3, directory=tmp_path, clock=clock)
        model = Derived(load, model_file, close=close)
        calls = count_calls(s3, "GetObject")
        first = model()
        clock.tick(61)
        assert model() is first
        s3.put_object(Bucket="models", Key="churn.json", Body=b'{"v": 2}')
        clock.tick(61)
        second = model()
        assert [handle.value for handle in loads] == [b'{"v": 1}', b'{"v": 2}']
        assert model_file().read_bytes() == b'{"v": 2}'
        assert [call.get("IfNoneMatch") is not None for call in calls] == [False, True, True]
        assert (first.closed, second.closed) == (True, False)
