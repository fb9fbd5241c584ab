"""Helpers for testing handlers that use lambda_cache_di: a fake clock, a Lambda context, moto.

moto is a test dependency, imported only when a server is started.
"""

from __future__ import annotations

import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
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

    def sleep(self, seconds: float) -> None:
        """Pass `seconds` at once by ticking the clock: how the library waits out throttling."""
        self.tick(max(0.0, seconds))


class CognitoIdentity:
    """The `identity` of a Lambda context: set only for calls from the AWS Mobile SDK."""

    def __init__(
        self, cognito_identity_id: str | None = None, cognito_identity_pool_id: str | None = None
    ) -> None:
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = cognito_identity_pool_id


class LambdaContext:
    """A stand-in for the `context` Lambda passes to a handler, with the same attributes.

    `get_remaining_time_in_millis()` counts down from `timeout_in_seconds`
    by `clock` (pass a FakeClock to control it), from the moment of creation.
    As in Lambda's runtime, `memory_limit_in_mb` is a string.
    """

    def __init__(
        self,
        *,
        function_name: str = "test-function",
        function_version: str = "$LATEST",
        region: str = "us-east-1",
        account: str = "123456789012",
        memory_limit_in_mb: int = 128,
        timeout_in_seconds: float = 3.0,
        aws_request_id: str | None = None,
        identity: CognitoIdentity | None = None,
        client_context: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"2024/01/01/[{function_version}]{uuid.uuid4().hex}"
        self.identity = identity if identity is not None else CognitoIdentity()
        self.client_context = client_context
        self._clock = clock
        self._deadline = clock() + timeout_in_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation would time out; never below 0."""
        return max(0, int((self._deadline - self._clock()) * 1000))


def operation_of(environ: dict[str, Any]) -> str:
    """The AWS operation a WSGI request asks for: `AmazonSSM.GetParameters`, `s3:GET`, ..."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target)
    return "s3:" + str(environ.get("REQUEST_METHOD", "?"))


class RequestCounter:
    """WSGI middleware that counts requests per AWS operation, moto's own API left out."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            with self._lock:
                self.counts[operation_of(environ)] += 1
        return self.app(environ, start_response)


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1 and a free port, counting requests."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server: Any = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""
        self._counter: RequestCounter | None = None

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        self._server.start()
        wsgi_server = self._server._server
        self._counter = RequestCounter(wsgi_server.app)
        wsgi_server.app = self._counter
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    @property
    def requests(self) -> Counter[str]:
        """Requests served per operation since the last reset."""
        return Counter() if self._counter is None else Counter(self._counter.counts)

    def reset(self) -> None:
        """Forget every resource created so far, and the request counts."""
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        self.reset_counts()

    def reset_counts(self) -> None:
        """Forget the request counts, keeping the resources created."""
        if self._counter is not None:
            self._counter.counts.clear()

    def stop(self) -> None:
        """Stop the server."""
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
