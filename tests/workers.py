"""Code that the multi-process tests run in child processes (importable by `spawn`).

Each worker waits on a barrier so that all of them start at once, then reports
what it got through a queue. Nothing here runs in the test process itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lambda_cache_di.core.shared import SharedStore, SharedValue

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


# The shared app reads its max age from LAMBDA_CACHE_DI_MAX_AGE, set by each test.
MAX_AGE = 6.0


def shared_app() -> Any:
    """A container of parameters, a group, a file, a default secret and a shared one."""
    from dependency_injector import containers

    from lambda_cache_di import S3File, Secret, SSMParameter, SSMParameters

    class SharedApp(containers.DeclarativeContainer):
        table = SSMParameter("/app/table")
        url = SSMParameter("/app/url")
        group = SSMParameters(["/app/a", "/app/b"])
        model = S3File("s3://models/m.json")
        password = Secret("app/password")
        token = Secret("app/token", shared=True)

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


class BodyRecorder:
    """WSGI middleware that counts the secret ids of every Secrets Manager request."""

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


def seed_shared_app(endpoint: str) -> None:
    """The values of `shared_app`: three String parameters, a StringList, two secrets, a file."""
    import boto3

    options: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": endpoint}
    ssm = boto3.client("ssm", **options)
    for name, value in {"/app/table": "orders", "/app/url": "https://api", "/app/a": "A"}.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    ssm.put_parameter(Name="/app/b", Value="x,y", Type="StringList", Overwrite=True)
    sm = boto3.client("secretsmanager", **options)
    sm.create_secret(Name="app/password", SecretString=SECRET_MARKER)
    sm.create_secret(Name="app/token", SecretString=SHARED_SECRET)
    s3 = boto3.client("s3", **options)
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.json", Body=b'{"w": 1}')


SECRET_MARKER = "pw-MARKER-5c1e"
SHARED_SECRET = "tok-SHARED-77"
EXPECTED = {
    "table": "orders",
    "url": "https://api",
    "group": {"a": "A", "b": ["x", "y"]},
    "model": '{"w": 1}',
    "password": SECRET_MARKER,
    "token": SHARED_SECRET,
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


class SlowSecureSSM:
    """Answers GetParameter(s) with a SecureString after `pause` s; logs each request's span."""

    def __init__(self, log: str, pause: float) -> None:
        self.log = log
        self.pause = pause

    def _answer(self, name: str) -> dict[str, str]:
        began = time.monotonic()
        time.sleep(self.pause)
        with open(self.log, "a") as stream:
            stream.write(f"{began} {time.monotonic()}\n")
        return {"Name": name, "Type": "SecureString", "Value": "pw"}

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        return {"Parameter": self._answer(Name)}

    def get_parameters(self, Names: list[str], WithDecryption: bool) -> dict[str, Any]:
        return {"Parameters": [self._answer(Names[0])], "InvalidParameters": []}


def prefetch_secure(log: str, pause: float, barrier: Any, results: Any) -> None:
    """Prefetch one SecureString after the barrier; report (seconds taken, failures, value)."""
    from dependency_injector import containers

    from lambda_cache_di import SSMParameter, prefetch

    container = containers.DynamicContainer()
    container.password = SSMParameter("/app/password", client=SlowSecureSSM(log, pause))
    barrier.wait()
    began = time.monotonic()
    failures = prefetch(container)
    results.put((time.monotonic() - began, sorted(failures), container.password()))
