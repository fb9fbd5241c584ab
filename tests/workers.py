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


MAX_AGE = 6.0


def shared_app() -> Any:
    """A container of parameters, a group, a file, a default secret and a shared one."""
    from dependency_injector import containers

    from lambda_cache_di import S3File, Secret, SSMParameter, SSMParameters

    class SharedApp(containers.DeclarativeContainer):
        table = SSMParameter("/app/table", max_age_in_seconds=MAX_AGE)
        url = SSMParameter("/app/url", max_age_in_seconds=MAX_AGE)
        group = SSMParameters(["/app/a", "/app/b"], max_age_in_seconds=MAX_AGE)
        model = S3File("s3://models/m.json", max_age_in_seconds=MAX_AGE)
        password = Secret("app/password", max_age_in_seconds=MAX_AGE)
        token = Secret("app/token", max_age_in_seconds=MAX_AGE, shared=True)

    return SharedApp()


def read_all(container: Any) -> dict[str, Any]:
    return {
        "table": container.table(),
        "url": container.url(),
        "group": container.group(),
        "model": container.model().read_text(),
        "password": container.password(),
        "token": container.token(),
    }


def prefetch_and_call(environment: dict[str, str], first: Any, second: Any, results: Any) -> None:
    """Prefetch and call everything; after the second barrier (past expiry), call again."""
    os.environ.update(environment)
    from lambda_cache_di import prefetch

    container = shared_app()
    try:
        first.wait()
        failures = prefetch(container)
        results.put(("first", sorted(failures), read_all(container)))
        first.wait()  # the test counts the requests of the first round here
        second.wait()
        results.put(("second", [], read_all(container)))
    except Exception as exc:
        results.put(("error", [repr(exc)], {}))
