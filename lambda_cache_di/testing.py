"""Helpers for testing handlers that use lambda_cache_di: a fake clock and a moto server.

moto is a test dependency, imported only when a server is started.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Credentials and region that can only ever reach a local emulator.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class FakeClock:
    """A monotonic clock that moves only when told to: pass it as `clock=` or to `set_clock`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        """Move time forward by `seconds`."""
        if seconds < 0:
            raise ValueError("a monotonic clock never goes back")
        self.now += seconds


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1 and a free port, with a reset between uses."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server: Any = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def reset(self) -> None:
        """Forget every resource created so far."""
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        self._server.stop()


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    """A started MotoServer, stopped on exit."""
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
