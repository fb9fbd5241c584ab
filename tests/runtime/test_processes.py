"""Eight awslambdaric workers of one environment share values through the shared tier."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from lambda_cache_di.testing import MotoServer
from lambda_cache_di.testing.runtime import LambdaRuntime

from .. import workers
from .conftest import StartRuntime

MAX_AGE = 20.0  # long enough for eight workers to finish their inits on a busy machine


@pytest.fixture(scope="module")
def recorder(world: MotoServer) -> Iterator[workers.BodyRecorder]:
    """The shared app's values in the world, and a recorder of secret ids asked for."""
    workers.seed_shared_app(world.endpoint)
    wsgi = world._server._server
    recording = workers.BodyRecorder(wsgi.app)
    wsgi.app = recording
    yield recording
    wsgi.app = recording.app


def invoke_all(runtime: LambdaRuntime, count: int) -> list[dict]:
    request_ids = [runtime.api.queue({}, timeout_in_seconds=120) for _ in range(count)]
    return [runtime.api.result(request_id, timeout=120).json() for request_id in request_ids]


def test_eight_workers_share_one_environment(
    start_runtime: StartRuntime, world: MotoServer, recorder: workers.BodyRecorder
) -> None:
    """8 workers: one worker's requests for SSM and S3, one per worker for the default secret,
    one in all for the shared secret; after expiry, one request per shared value."""
    world.reset_counts()
    recorder.secret_ids.clear()
    runtime = start_runtime(
        "tests.runtime.shared_handler.handler",
        max_concurrency=8,
        environment={"LAMBDA_CACHE_DI_MAX_AGE": str(MAX_AGE)},
    )
    runtime.wait_until_ready(timeout=180)
    ready = time.monotonic()
    assert world.requests == Counter(
        {
            "AmazonSSM.GetParameters": 2,
            "s3:GET": 1,
            # The first prefetch batches both secrets; the others find the shared
            # token and read the unshared password alone (never a batch of one).
            "secretsmanager.BatchGetSecretValue": 1,
            "secretsmanager.GetSecretValue": 7,
        }
    )
    assert dict(recorder.secret_ids) == {"app/password": 8, "app/token": 1}
    world.reset_counts()
    recorder.secret_ids.clear()
    first = invoke_all(runtime, 8)
    assert [(r["failures"], r["values"]) for r in first] == [([], workers.EXPECTED)] * 8
    assert world.requests == Counter()
    time.sleep(max(0.0, ready + MAX_AGE + 0.5 - time.monotonic()))
    second = invoke_all(runtime, 8)
    assert [r["values"] for r in second] == [workers.EXPECTED] * 8
    serving = len({r["pid"] for r in second})
    assert world.requests == Counter(
        {
            "AmazonSSM.GetParameter": 2,
            "AmazonSSM.GetParameters": 1,
            "s3:GET": 1,
            "secretsmanager.GetSecretValue": 1 + serving,
        }
    )
    assert dict(recorder.secret_ids) == {"app/password": serving, "app/token": 1}
