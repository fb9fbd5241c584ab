"""32 threads read while values expire again and again: consistent values, one fetch per window.

While 32 threads call a provider (200 calls each at least), the main thread
writes version after version and moves the shared FakeClock by `max_age` after
each, so every write opens a new expiry window. Readers may
see any version that was written, never None, a torn group or a partial file;
the requests stay within the number of windows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di.testing import FakeClock, MotoServer

from .specs import BUCKET, KEY, SPECS, Spec, build, new_version, s3_body

THREADS = 32
CALLS_PER_THREAD = 200
MAX_AGE = 10.0
PAUSE = 0.001
WINDOWS = 20  # the first value's, then one per write
OPERATIONS = {
    "SSMParameter": "AmazonSSM.GetParameter",
    "SSMParameters": "AmazonSSM.GetParameters",
    "Secret": "secretsmanager.GetSecretValue",
    "Secrets": "secretsmanager.BatchGetSecretValue",
    "S3File": "s3:GET",
    "CachedCall": "AmazonSSM.GetParameter",
    "DynamoDBValue": "DynamoDB_20120810.GetItem",
    "DynamoDBItems": "DynamoDB_20120810.Query",
}


def writer_for(spec: Spec, admin: Any) -> Callable[[str], None]:
    """Store a version with as few requests as possible, none of them counted as fetches."""
    if spec.name == "S3File":
        return lambda version: admin.put_object(Bucket=BUCKET, Key=KEY, Body=s3_body(version))
    return lambda version: spec.store(admin, version)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_threads_see_whole_versions_and_share_fetches(
    spec: Spec,
    direct: Callable[[str], Any],
    moto_server: MotoServer,
    tmp_path: Path,
) -> None:
    """Every result is a whole written version, and fetches never outnumber expiry windows."""
    admin = direct(spec.service)
    first = new_version()
    spec.store(admin, first)
    write = writer_for(spec, admin)
    written = {repr(spec.expected(first))}
    clock = FakeClock()
    provider = build(
        spec, tmp_path, client=direct(spec.service), clock=clock, max_age_in_seconds=MAX_AGE
    )
    moto_server.reset_counts()
    seen: list[list[Any]] = [[] for _ in range(THREADS)]
    failures: list[BaseException] = []
    start, done = threading.Barrier(THREADS + 1), threading.Event()

    def read(results: list[Any]) -> None:
        start.wait()
        try:
            while not done.is_set() or len(results) < CALLS_PER_THREAD:
                results.append(spec.view(provider()))
                # Let the writer and the in-process moto server have the GIL now and then.
                time.sleep(PAUSE)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    readers = [threading.Thread(target=read, args=(results,)) for results in seen]
    for reader in readers:
        reader.start()
    start.wait()
    previous = spec.expected(first)
    for _ in range(WINDOWS - 1):
        version = new_version()
        current = spec.expected(version)
        if isinstance(current, dict):
            # A group is written name by name, alpha first: AWS has that state for a moment too.
            written.add(repr({**previous, "alpha": current["alpha"]}))
        written.add(repr(current))
        write(version)
        previous = current
        clock.tick(MAX_AGE)
    done.set()
    for reader in readers:
        reader.join()

    assert failures == []
    assert all(len(results) >= CALLS_PER_THREAD for results in seen)
    assert all(repr(result) in written for results in seen for result in results)
    fetches = moto_server.requests[OPERATIONS[spec.name]]
    assert 2 <= fetches <= WINDOWS
    assert provider.stats.misses == fetches
    if spec.name == "S3File":
        assert [entry.name for entry in tmp_path.iterdir()] == [provider.local_path.name]
