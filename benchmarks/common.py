"""What every benchmark shares: the data set, the moto server with optional latency, time shims."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT, MotoServer

from .dataset import BUCKET, KEY, PARAMETERS, SECRETS


class Latency:
    """WSGI middleware that sleeps `delay` seconds before answering each request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.delay = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.delay and not str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            time.sleep(self.delay)
        return self.app(environ, start_response)


@contextmanager
def bench_server() -> Iterator[tuple[MotoServer, Latency]]:
    """A seeded moto server (requests counted, latency switchable), with the environment at it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = MotoServer()
    endpoint = server.start()
    # Wrap the request counter: the benchmark only, so it reaches into the WSGI server.
    wsgi_server = server._server._server
    latency = Latency(wsgi_server.app)
    wsgi_server.app = latency
    saved = dict(os.environ)
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.pop("AWS_PROFILE", None)
    try:
        seed(endpoint)
        server.reset_counts()
        yield server, latency
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def seed(endpoint: str) -> None:
    """Twelve parameters, three secrets and one file of 4 KiB."""
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    ssm = session.client("ssm", endpoint_url=endpoint)
    for name in PARAMETERS:
        ssm.put_parameter(Name=name, Value=f"value-of-{name}", Type="SecureString")
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    for name in SECRETS:
        secrets.create_secret(Name=name, SecretString=f'{{"user": "{name}"}}')
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"x" * 4096)


class SimTime:
    """Simulated time for peers that read the wall clock: real time at start plus `offset`."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._epoch = time.time()

    def tick(self, seconds: float) -> None:
        self.offset += seconds

    def time(self) -> float:
        return self._epoch + self.offset

    def time_module(self) -> Any:
        """A stand-in for the `time` module whose `time()` is simulated."""
        shim = type("SimTimeModule", (), {})()
        shim.time = self.time
        shim.sleep = time.sleep
        shim.monotonic = lambda: time.monotonic() + self.offset
        return shim

    def datetime_class(self) -> type[datetime]:
        """A `datetime` subclass whose `now()` and `utcnow()` are simulated."""
        sim = self

        class SimDatetime(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + timedelta(seconds=sim.offset)

            @classmethod
            def utcnow(cls) -> Any:
                return datetime.utcnow() + timedelta(seconds=sim.offset)

        return SimDatetime


@contextmanager
def patched(patches: list[tuple[Any, str, Any]]) -> Iterator[None]:
    """Set attributes for the duration of the block."""
    saved = [(target, name, getattr(target, name)) for target, name, _ in patches]
    for target, name, value in patches:
        setattr(target, name, value)
    try:
        yield
    finally:
        for target, name, value in saved:
            setattr(target, name, value)


def per_call_us(function: Callable[[], Any], calls: int) -> float:
    """Mean microseconds per call over `calls` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls * 1e6
