"""A tiny reverse proxy between boto3 and the moto server that can cut response bodies short.

Standard library only. It counts requests and the body bytes it sent back, so
tests can tell a conditional refresh (304, no body) from a download.
"""

from __future__ import annotations

import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Hop-by-hop headers are the proxy's own business; Content-Length is set anew.
_SKIPPED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class TruncatingProxy:
    """Forwards every request to `upstream`; while `truncate_at` is set, GET bodies stop there."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.truncate_at: int | None = None
        self.requests: list[tuple[str, str, int]] = []  # (method, path, body bytes sent)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, method: str, path: str, sent: int) -> None:
        with self._lock:
            self.requests.append((method, path, sent))

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


def _handler_for(proxy: TruncatingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, reason, headers, payload = proxy.forward(
                self.command, self.path, list(self.headers.items()), body
            )
            announced = len(payload)
            cut = proxy.truncate_at
            if self.command == "GET" and cut is not None and len(payload) > cut:
                payload = payload[:cut]
                self.close_connection = True
            if self.command == "HEAD":
                payload = b""
            # Recorded before the first byte leaves, so a test that got its answer sees it.
            proxy.record(self.command, self.path, len(payload))
            self.send_response(status, reason)
            for name, value in headers:
                if name.lower() not in _SKIPPED and name.lower() not in ("server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(announced))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            if self.close_connection:
                self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
