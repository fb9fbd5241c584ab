"""Eight processes of one environment share SSM values, S3 copies and a shared=True secret."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di.testing import MotoServer

from .. import workers

SECRET_MARKER = "pw-MARKER-5c1e"


class BodyRecorder:
    """WSGI middleware that keeps the secret ids of every Secrets Manager request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.secret_ids: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target.startswith("secretsmanager."):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            request = json.loads(body or b"{}")
            for secret in request.get("SecretIdList", [request.get("SecretId")]):
                self.secret_ids[str(secret)] += 1
        return self.app(environ, start_response)


@pytest.fixture
def seeded(aws_client: Any, moto_server: MotoServer) -> Any:
    ssm = aws_client("ssm")
    for name, value in {"/app/table": "orders", "/app/url": "https://api", "/app/a": "A"}.items():
        ssm.put_parameter(Name=name, Value=value, Type="String")
    ssm.put_parameter(Name="/app/b", Value="x,y", Type="StringList")
    sm = aws_client("secretsmanager")
    sm.create_secret(Name="app/password", SecretString=SECRET_MARKER)
    sm.create_secret(Name="app/token", SecretString="tok-SHARED-77")
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.json", Body=b'{"w": 1}')
    wsgi = moto_server._server._server
    recorder = BodyRecorder(wsgi.app)
    wsgi.app = recorder
    moto_server.reset_counts()
    yield recorder
    wsgi.app = recorder.app


EXPECTED = {
    "table": "orders",
    "url": "https://api",
    "group": {"a": "A", "b": ["x", "y"]},
    "model": '{"w": 1}',
    "password": SECRET_MARKER,
    "token": "tok-SHARED-77",
}


def test_eight_processes_share_one_environment(
    seeded: BodyRecorder, moto_server: MotoServer, moto_endpoint: str, shared_folder: Path
) -> None:
    """Prefetch in 8 processes makes the requests of one (secrets aside); expiry costs one each."""
    environment = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "LAMBDA_CACHE_DI_DIR": str(shared_folder),
        "AWS_LAMBDA_MAX_CONCURRENCY": "8",
    }
    first, second = workers.SPAWN.Barrier(9), workers.SPAWN.Barrier(9)
    results = workers.SPAWN.Queue()
    processes = [
        workers.SPAWN.Process(
            target=workers.prefetch_and_call, args=(environment, first, second, results)
        )
        for _ in range(8)
    ]
    for process in processes:
        process.start()
    first.wait(timeout=120)
    first.wait(timeout=120)
    round_one = [results.get(timeout=10) for _ in range(8)]
    assert round_one == [("first", [], EXPECTED)] * 8
    assert moto_server.requests == Counter(
        {"AmazonSSM.GetParameters": 2, "s3:GET": 1, "secretsmanager.BatchGetSecretValue": 8}
    )
    assert dict(seeded.secret_ids) == {"app/password": 8, "app/token": 1}
    moto_server.reset_counts()
    seeded.secret_ids.clear()
    time.sleep(workers.MAX_AGE + 0.5)
    second.wait(timeout=120)
    round_two = [results.get(timeout=120) for _ in range(8)]
    for process in processes:
        process.join(timeout=60)
    assert round_two == [("second", [], EXPECTED)] * 8
    assert moto_server.requests == Counter(
        {
            "AmazonSSM.GetParameter": 2,
            "AmazonSSM.GetParameters": 1,
            "s3:GET": 1,
            "secretsmanager.GetSecretValue": 9,
        }
    )
    assert dict(seeded.secret_ids) == {"app/password": 8, "app/token": 1}
    on_disk = b"".join(p.read_bytes() for p in shared_folder.iterdir() if p.is_file())
    assert SECRET_MARKER.encode() not in on_disk
    assert b"tok-SHARED-77" in on_disk


def test_without_the_variables_each_process_fetches(
    seeded: BodyRecorder, moto_server: MotoServer, moto_endpoint: str, shared_folder: Path
) -> None:
    """Without AWS_LAMBDA_MAX_CONCURRENCY two processes fetch their own (shared=True aside)."""
    environment = {"AWS_ENDPOINT_URL": moto_endpoint, "LAMBDA_CACHE_DI_DIR": str(shared_folder)}
    first, second = workers.SPAWN.Barrier(3), workers.SPAWN.Barrier(3)
    results = workers.SPAWN.Queue()
    processes = [
        workers.SPAWN.Process(
            target=workers.prefetch_and_call, args=(environment, first, second, results)
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    first.wait(timeout=120)
    first.wait(timeout=120)
    assert [results.get(timeout=10) for _ in range(2)] == [("first", [], EXPECTED)] * 2
    second.wait(timeout=120)
    for process in processes:
        process.join(timeout=60)
    requests = moto_server.requests
    assert requests["AmazonSSM.GetParameters"] == 4
    assert requests["secretsmanager.BatchGetSecretValue"] == 2
    assert dict(seeded.secret_ids) == {"app/password": 2, "app/token": 1}
    on_disk = b"".join(p.read_bytes() for p in shared_folder.iterdir() if p.is_file())
    assert (b"orders" in on_disk, SECRET_MARKER.encode() in on_disk) == (False, False)
