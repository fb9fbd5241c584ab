"""Code that the multi-process tests run in child processes (importable by `spawn`).

Each worker waits on a barrier so that all of them start at once, then reports
what it got through a queue. Nothing here runs in the test process itself.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Any

from lambda_cache_di.shared import SharedStore, SharedValue

SPAWN = multiprocessing.get_context("spawn")


def counted_fetch(log: Path, value: str, pause: float) -> Any:
    """A fetch that appends one line to `log` per call (O_APPEND: safe across processes)."""

    def fetch() -> str:
        with open(log, "a") as stream:
            stream.write(f"{os.getpid()}\n")
        time.sleep(pause)
        return value

    return fetch


def load_shared(
    folder: str, log: str, barrier: Any, results: Any, private: bool = False, force: bool = False
) -> None:
    """Load one shared value after the barrier; report (value, fetched_at)."""
    store = SharedStore(Path(folder))
    shared = SharedValue(
        store,
        "ssm:/app/table",
        counted_fetch(Path(log), "orders-table", 0.3),
        lambda: time.monotonic,
        60.0,
        what="/app/table",
        private=(lambda _: True) if private else None,
    )
    barrier.wait()
    try:
        results.put(shared.load(force=force))
    except Exception as exc:  # reported to the test, which asserts there were none
        results.put(("error", repr(exc)))


def hold_lock_then_hang(folder: str, key: str, ready: Any) -> None:
    """Take the lock of `key`, say so, and hang until killed."""
    store = SharedStore(Path(folder))
    with store.session([key]):
        ready.set()
        time.sleep(600)


def s3_callers(
    environment: dict[str, str], uri: str, threads: int, barrier: Any, results: Any
) -> None:
    """`threads` threads of one process call one S3File; report (size, sha256) or the error."""
    os.environ.update(environment)
    import boto3

    from lambda_cache_di import S3File
    from lambda_cache_di.fetchers.clients import lambda_config

    client = boto3.client("s3", config=lambda_config(read_timeout=30, connect_timeout=5))
    provider = S3File(uri, client=client, max_age_in_seconds=600)

    def call() -> None:
        try:
            path = provider()
            data = path.read_bytes()
            results.put((len(data), hashlib.sha256(data).hexdigest()))
        except Exception as exc:
            results.put(("error", repr(exc)))

    barrier.wait()
    workers = [threading.Thread(target=call) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
