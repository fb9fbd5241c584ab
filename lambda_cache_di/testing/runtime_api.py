"""An emulator of the Lambda Runtime API, the HTTP interface a runtime client polls.

Invocation (`next`, `response`, `error`), `init/error`, and SnapStart's
`restore/next` and `restore/error`, served on 127.0.0.1 and a free port.
Standard library only; `lambda_cache_di.testing.runtime` is the public face.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:test-function"


@dataclass(frozen=True)
class Invocation:
    """What the runtime posted for one request: its `response` or its `error`."""

    request_id: str
    outcome: str
    body: bytes
    error_type: str | None = None

    def json(self) -> Any:
        """The posted body parsed as JSON."""
        return json.loads(self.body)


class InvocationFailed(Exception):
    """Raised when the handler's invocation ended in an error, or the runtime's init did.

    The message quotes the runtime's `errorType` and `errorMessage`, and, when
    raised by a `LambdaRuntime`, the handler string and the working directory
    it was imported from: enough to see why a module could not be imported.

    Args:
        invocation: what the runtime posted; `invocation.outcome` is `"error"` or
            `"init-error"`, `invocation.json()` the error document (`errorType`,
            `errorMessage`, `stackTrace`).
        handler: the handler string the runtime was started with, if known.
        cwd: the runtime's working directory, if known.
    """

    def __init__(
        self, invocation: Invocation, *, handler: str | None = None, cwd: str | None = None
    ) -> None:
        error_type, error_message = _error_of(invocation)
        where = f" (handler {handler!r}, run in {cwd})" if handler is not None else ""
        detail = f": {error_message}" if error_message else ""
        reported = f"{invocation.outcome} {invocation.request_id}: {error_type}{detail}"
        super().__init__(reported + where)
        self.invocation = invocation
        self.handler = handler
        self.cwd = cwd


def _error_of(invocation: Invocation) -> tuple[str | None, str | None]:
    """The `errorType` and `errorMessage` of the error document the runtime posted."""
    try:
        document = invocation.json()
    except ValueError:
        return invocation.error_type, None
    if not isinstance(document, dict):
        return invocation.error_type, None
    return document.get("errorType", invocation.error_type), document.get("errorMessage")


class RuntimeApi:
    """The Lambda Runtime API (invocation, init and SnapStart restore endpoints), emulated.

    `on_restore`, if set, is called when the runtime asks for `restore/next`,
    before it is answered: the process is then where Lambda takes its snapshot.
    """

    def __init__(self, *, on_restore: Callable[[], None] | None = None) -> None:
        self.on_restore = on_restore
        self.init_errors: list[Invocation] = []
        self.restore_errors: list[Invocation] = []
        self.restore_requests = 0
        self._events: deque[tuple[str, bytes, float]] = deque()
        self._results: dict[str, Invocation] = {}
        self._pending: set[str] = set()
        self._polling = 0
        self._restore_failure: BaseException | None = None
        self._stopped = False
        self._changed = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _handler_class(self))
        # A short poll interval: stop() waits for it, once per runtime a test starts.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> str:
        """`host:port`, the value of `AWS_LAMBDA_RUNTIME_API`."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> str:
        """Start serving and return the address, `host:port`."""
        self._thread.start()
        return self.address

    def stop(self) -> None:
        """Answer every waiting poll with an error and stop serving."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def queue(self, event: Any, *, timeout_in_seconds: float = 30.0) -> str:
        """Queue an event (JSON-serializable) for the next poll; returns its request id."""
        request_id = str(uuid.uuid4())
        deadline = time.time() + timeout_in_seconds
        with self._changed:
            self._events.append((request_id, json.dumps(event).encode(), deadline))
            self._pending.add(request_id)
            self._changed.notify_all()
        return request_id

    def result(self, request_id: str, timeout: float = 30.0) -> Invocation:
        """Wait for what the runtime posted for `request_id`; TimeoutError after `timeout` s.

        Raises `InvocationFailed` at once if the runtime reported an init error.
        """
        self._wait(
            lambda: request_id in self._results or bool(self.init_errors),
            timeout,
            f"no result for {request_id}",
        )
        if request_id not in self._results:
            raise InvocationFailed(self.init_errors[0])
        return self._results[request_id]

    def invoke(self, event: Any, timeout: float = 30.0) -> Any:
        """Queue `event`, wait for the handler's response and return it decoded from JSON."""
        invocation = self.result(self.queue(event, timeout_in_seconds=timeout), timeout)
        if invocation.outcome != "response":
            raise InvocationFailed(invocation)
        return invocation.json()

    def wait_for_polls(self, count: int, timeout: float = 30.0) -> None:
        """Wait until `count` polls of `invocation/next` wait: so many workers are idle.

        Raises `InvocationFailed` at once if the runtime reported an init error.
        """
        self._wait(
            lambda: self._polling >= count or bool(self.init_errors),
            timeout,
            f"fewer than {count} polls",
        )
        if self._polling < count:
            raise InvocationFailed(self.init_errors[0])

    def wait_for_init_error(self, timeout: float = 30.0) -> Invocation:
        """The first error posted to `init/error`."""
        self._wait(lambda: bool(self.init_errors), timeout, "no init error")
        return self.init_errors[0]

    def wait_for_restore(self, timeout: float = 30.0) -> None:
        """Wait until `restore/next` has been answered; re-raise what `on_restore` raised."""
        self._wait(lambda: self.restore_requests > 0, timeout, "no restore/next")
        if self._restore_failure is not None:
            raise self._restore_failure

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(done, timeout):
                raise TimeoutError(f"{what} within {timeout} s")

    def _next_event(self) -> tuple[str, bytes, float] | None:
        with self._changed:
            self._polling += 1
            self._changed.notify_all()
            self._changed.wait_for(lambda: bool(self._events) or self._stopped)
            self._polling -= 1
            return None if self._stopped else self._events.popleft()

    def _post(self, kind: str, request_id: str, body: bytes, error_type: str | None) -> int:
        with self._changed:
            if request_id not in self._pending:
                return 400
            self._pending.discard(request_id)
            self._results[request_id] = Invocation(request_id, kind, body, error_type)
            self._changed.notify_all()
            return 202

    def _init_error(self, body: bytes, error_type: str | None) -> int:
        # Lambda accepts one init error; later workers get 403, which awslambdaric expects.
        with self._changed:
            self.init_errors.append(Invocation("", "init-error", body, error_type))
            self._changed.notify_all()
            return 202 if len(self.init_errors) == 1 else 403

    def _restore_next(self) -> None:
        try:
            if self.on_restore is not None:
                self.on_restore()
        except BaseException as exc:  # handed to the test thread by wait_for_restore
            self._restore_failure = exc
        with self._changed:
            self.restore_requests += 1
            self._changed.notify_all()

    def _restore_error(self, body: bytes, error_type: str | None) -> None:
        with self._changed:
            self.restore_errors.append(Invocation("", "restore-error", body, error_type))
            self._changed.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A killed runtime drops its long poll: expected at every stop, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_class(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the runtime client keeps its connection alive

        def do_GET(self) -> None:
            if self.path == f"{PREFIX}/invocation/next":
                self._next()
            elif self.path == f"{PREFIX}/restore/next":
                api._restore_next()
                self._answer(200)
            else:
                self._answer(404)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            parts = self.path.removeprefix(PREFIX + "/").split("/")
            if parts == ["init", "error"]:
                self._answer(api._init_error(body, error_type))
            elif parts == ["restore", "error"]:
                api._restore_error(body, error_type)
                self._answer(202)
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                self._answer(api._post(parts[2], parts[1], body, error_type))
            else:
                self._answer(404)

        def _next(self) -> None:
            event = api._next_event()
            if event is None:
                self._answer(500)
                return
            request_id, body, deadline = event
            headers = {
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(int(deadline * 1000)),
                "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
                "Content-Type": "application/json",
            }
            self._answer(200, body, headers)

        def _answer(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the runtime polls constantly: keep the test output readable

    return Handler
