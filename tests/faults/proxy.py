"""A fault-injecting reverse proxy between boto3 and the moto server.

Standard library only. Each request is relayed to the upstream server unless a
fault applies to it: the next one queued with `queue()`, else the standing
`mode`. Faults answer in each service's own wire format (the JSON protocol of
SSM and Secrets Manager, S3's XML), reset the connection, hang past the
client's read timeout, or cut the body short under its full Content-Length.
Requests are counted per operation: the `X-Amz-Target` header, else
`<METHOD> <path>` for S3.
"""

from __future__ import annotations

import enum
import http.client
import json
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

# Hop-by-hop headers are the proxy's own business; Content-Length is set anew.
_SKIPPED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_JSON_TYPE = "application/x-amz-json-1.1"


class Fault(str, enum.Enum):
    """What the proxy does with a request."""

    CLEAR = "clear"  # relay it
    HTTP_500 = "http-500"  # 500 InternalServerError / InternalError
    HTTP_503 = "http-503"  # 503 ServiceUnavailable
    THROTTLE = "throttle"  # 400 ThrottlingException (JSON) / 503 SlowDown (S3)
    DENIED = "denied"  # 400 AccessDeniedException (JSON) / 403 AccessDenied (S3)
    RESET = "reset"  # read the request, then close with RST (SO_LINGER 0)
    DELAY = "delay"  # say nothing for `delay_seconds`, then close
    TRUNCATE = "truncate"  # relay, but send only part of the body under the full length
    DRIP = "drip"  # relay, but send the body `drip_bytes` at a time, `drip_seconds` apart
    BARE_404 = "bare-404"  # 404 with an HTML page and no AWS error code: a wrong endpoint, a proxy


# (status, JSON-protocol __type, S3 code) of the faults that answer with an error.
_ERRORS: dict[Fault, tuple[int, int, str, str]] = {
    Fault.HTTP_500: (500, 500, "InternalServerError", "InternalError"),
    Fault.HTTP_503: (503, 503, "ServiceUnavailable", "ServiceUnavailable"),
    Fault.THROTTLE: (400, 503, "ThrottlingException", "SlowDown"),
    Fault.DENIED: (400, 403, "AccessDeniedException", "AccessDenied"),
}


class TokenBucket:
    """A request quota as AWS keeps one: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = rate if burst is None else burst
        self._tokens = self.burst
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one token if there is one; False when the request is over the quota."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


@dataclass(frozen=True)
class Exchange:
    """One request seen by the proxy: its operation, the fault applied, body bytes sent back."""

    operation: str
    fault: Fault
    status: int | None
    sent: int


# What AWS says when a quota is spent: SSM and Secrets Manager (JSON protocol), S3 (XML).
RATE_EXCEEDED = "Rate exceeded"
SLOW_DOWN = "Please reduce your request rate."


def error_response(
    fault: Fault, json_protocol: bool, message: str | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of an error answer as the service itself would send it."""
    json_status, s3_status, json_code, s3_code = _ERRORS[fault]
    if json_protocol:
        text = message or f"injected {json_code}"
        body = json.dumps({"__type": json_code, "message": text}).encode()
        return json_status, [("Content-Type", _JSON_TYPE)], body
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{s3_code}</Code><Message>{message or f'injected {s3_code}'}</Message>"
        "<RequestId>FAULTPROXY</RequestId></Error>"
    )
    return s3_status, [("Content-Type", "application/xml")], xml.encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client that timed out has gone; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FaultProxy:
    """Relays requests to `upstream` on 127.0.0.1 and a free port, injecting faults on demand."""

    def __init__(self, upstream: str, *, delay_seconds: float = 1.0) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.mode = Fault.CLEAR
        self.delay_seconds = delay_seconds
        # Body bytes a TRUNCATE answer sends; None sends half of the body.
        self.keep_bytes: int | None = None
        # Seconds each relayed request waits before it goes upstream: a far-away endpoint.
        self.latency_seconds = 0.0
        # What a DRIP answer sends at a time, and how long it waits in between.
        self.drip_bytes = 1
        self.drip_seconds = 0.5
        self._queued: deque[Fault] = deque()
        # When set, requests the bucket refuses are throttled as AWS does ("Rate exceeded").
        self.bucket: TokenBucket | None = None
        # Connections are numbered as accepted; those up to `_silent_upto` get no answer.
        self.connections = 0
        self._silent_upto = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # -- life cycle --------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- programming and counting -------------------------------------------

    def queue(self, *faults: Fault) -> None:
        """Apply `faults` to the next requests, one each, before falling back to `mode`."""
        with self._lock:
            self._queued.extend(faults)

    def clear(self) -> None:
        """Relay every request from now on: empty the queue and set `mode` to CLEAR."""
        with self._lock:
            self._queued.clear()
            self.mode = Fault.CLEAR

    def next_fault(self) -> Fault:
        with self._lock:
            return self._queued.popleft() if self._queued else self.mode

    def new_connection(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def silence_open_connections(self) -> None:
        """Leave every request on a connection opened so far unanswered, as after a restore."""
        with self._lock:
            self._silent_upto = self.connections

    def is_silent(self, connection: int) -> bool:
        with self._lock:
            return connection <= self._silent_upto

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request seen since the last `reset_counts()`, in order."""
        with self._lock:
            return list(self._exchanges)

    @property
    def counts(self) -> Counter[str]:
        """Requests seen per operation since the last `reset_counts()`."""
        return Counter(exchange.operation for exchange in self.exchanges)

    @property
    def total(self) -> int:
        """Requests seen since the last `reset_counts()`, faulty or not."""
        with self._lock:
            return len(self._exchanges)

    def reset_counts(self) -> None:
        with self._lock:
            self._exchanges.clear()
            self._max_in_flight = self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests being handled at once since the last `reset_counts()`."""
        with self._lock:
            return self._max_in_flight

    def arrived(self, change: int) -> None:
        """Count a request in (+1) or out (-1)."""
        with self._lock:
            self._in_flight += change
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    # -- relaying ------------------------------------------------------------

    def forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Send one request upstream and return its status, reason, headers and whole body."""
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _SKIPPED:
                    connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def wait_or_stop(self, seconds: float) -> None:
        """Sleep `seconds`, or less when the proxy stops."""
        self._stopping.wait(seconds)


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        dripping = False
        # Headers and body leave in separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK hold every answer back by about 40 ms.
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            self.connection_number = proxy.new_connection()

        def _handle(self) -> None:
            proxy.arrived(+1)
            try:
                self._handle_counted()
            finally:
                proxy.arrived(-1)

        def _handle_counted(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            target = self.headers.get("X-Amz-Target")
            operation = target or f"{self.command} {self.path.split('?', 1)[0]}"
            silent = proxy.is_silent(self.connection_number)
            fault = Fault.DELAY if silent else proxy.next_fault()
            bucket = proxy.bucket
            if fault is Fault.CLEAR and bucket is not None and not bucket.take():
                message = RATE_EXCEEDED if target is not None else SLOW_DOWN
                status, headers, payload = error_response(
                    Fault.THROTTLE, target is not None, message
                )
                proxy.record(Exchange(operation, Fault.THROTTLE, status, len(payload)))
                self._answer(status, "", headers, payload, len(payload))
            elif fault is Fault.RESET:
                proxy.record(Exchange(operation, fault, None, 0))
                self._reset()
            elif fault is Fault.DELAY:
                proxy.record(Exchange(operation, fault, None, 0))
                proxy.wait_or_stop(proxy.delay_seconds)
                self.close_connection = True
            elif fault is Fault.BARE_404:
                page = b"<html><body><h1>404 Not Found</h1></body></html>"
                proxy.record(Exchange(operation, fault, 404, len(page)))
                self._answer(404, "Not Found", [("Content-Type", "text/html")], page, len(page))
            elif fault in _ERRORS:
                status, headers, payload = error_response(fault, target is not None)
                proxy.record(Exchange(operation, fault, status, len(payload)))
                self._answer(status, "", headers, payload, len(payload))
            else:
                if proxy.latency_seconds:
                    proxy.wait_or_stop(proxy.latency_seconds)
                self._relay(operation, fault, body)

        def _relay(self, operation: str, fault: Fault, body: bytes) -> None:
            status, reason, headers, payload = proxy.forward(
                self.command, self.path, list(self.headers.items()), body
            )
            announced = len(payload)
            if self.command == "HEAD":
                payload = b""
            elif fault is Fault.TRUNCATE and payload:
                keep = proxy.keep_bytes if proxy.keep_bytes is not None else len(payload) // 2
                if keep < len(payload):
                    payload = payload[:keep]
                    self.close_connection = True
            # Recorded before the first byte leaves, so a test that got its answer sees it.
            proxy.record(Exchange(operation, fault, status, len(payload)))
            self.dripping = fault is Fault.DRIP
            kept = [(n, v) for n, v in headers if n.lower() not in ("server", "date")]
            self._answer(status, reason, kept, payload, announced)

        def _answer(
            self,
            status: int,
            reason: str,
            headers: list[tuple[str, str]],
            payload: bytes,
            announced: int,
        ) -> None:
            self.send_response(status, reason or None)
            for name, value in headers:
                if name.lower() not in _SKIPPED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(announced))
            self.end_headers()
            if self.dripping:
                self._drip(payload)
            else:
                self.wfile.write(payload)
            self.wfile.flush()
            if self.close_connection:
                self.connection.shutdown(socket.SHUT_RDWR)

        def _drip(self, payload: bytes) -> None:
            """Send the body slowly; give up quietly once the client has hung up."""
            step = max(1, proxy.drip_bytes)
            try:
                for start in range(0, len(payload), step):
                    self.wfile.write(payload[start : start + step])
                    self.wfile.flush()
                    proxy.wait_or_stop(proxy.drip_seconds)
            except OSError:
                self.close_connection = True

        def _reset(self) -> None:
            """Close at once with SO_LINGER 0, so the client reads a TCP reset."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The socket closes only once its file objects let go of it.
            self.rfile.close()
            self.connection.close()

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
