"""Eight processes of one environment share SSM values, S3 copies and a shared=True secret."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_cache_di.testing import MotoServer

from .. import workers

SECRET_MARKER, EXPECTED = workers.SECRET_MARKER, workers.EXPECTED


@pytest.fixture
def seeded(moto_server: MotoServer, moto_endpoint: str) -> Iterator[workers.BodyRecorder]:
    """The values of the shared app, and a recorder of the secret ids asked for."""
    workers.seed_shared_app(moto_endpoint)
    wsgi = moto_server._server._server
    recorder = workers.BodyRecorder(wsgi.app)
    wsgi.app = recorder
    moto_server.reset_counts()
    yield recorder
    wsgi.app = recorder.app


def test_eight_processes_share_one_environment(
    seeded: workers.BodyRecorder, moto_server: MotoServer, moto_endpoint: str, shared_folder: Path
) -> None:
    """Prefetch in 8 processes makes the requests of one (secrets aside); expiry costs one each."""
    environment = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "LAMBDA_CACHE_DI_DIR": str(shared_folder),
        "AWS_LAMBDA_MAX_CONCURRENCY": "8",
        "LAMBDA_CACHE_DI_MAX_AGE": str(workers.MAX_AGE),
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
        {
            "AmazonSSM.GetParameters": 2,
            "s3:GET": 1,
            # The first prefetch batches both secrets; the others find the shared
            # token and read the unshared password alone (never a batch of one).
            "secretsmanager.BatchGetSecretValue": 1,
            "secretsmanager.GetSecretValue": 7,
        }
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
    seeded: workers.BodyRecorder, moto_server: MotoServer, moto_endpoint: str, shared_folder: Path
) -> None:
    """Without AWS_LAMBDA_MAX_CONCURRENCY two processes fetch their own (shared=True aside)."""
    environment = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "LAMBDA_CACHE_DI_DIR": str(shared_folder),
        "LAMBDA_CACHE_DI_MAX_AGE": str(workers.MAX_AGE),
    }
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
    assert requests["secretsmanager.BatchGetSecretValue"] == 1
    assert requests["secretsmanager.GetSecretValue"] == 1
    assert dict(seeded.secret_ids) == {"app/password": 2, "app/token": 1}
    on_disk = b"".join(p.read_bytes() for p in shared_folder.iterdir() if p.is_file())
    assert (b"orders" in on_disk, SECRET_MARKER.encode() in on_disk) == (False, False)
