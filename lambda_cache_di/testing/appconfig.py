"""A fake of AWS AppConfig Data (`appconfigdata`) for tests: real boto3 clients talk to it.

Standard library only. moto does not implement `appconfigdata`, so this serves
its two operations on 127.0.0.1 in the REST-JSON protocol of botocore's service
model (2021-11-11):

- `POST /configurationsessions` (StartConfigurationSession): a JSON body naming
  the application, environment and configuration profile; 201 with
  `InitialConfigurationToken`.
- `GET /configuration?configuration_token=...` (GetLatestConfiguration): the
  document as the body (empty when this session already has the current
  version), with the `Next-Poll-Configuration-Token`,
  `Next-Poll-Interval-In-Seconds`, `Content-Type` and `Version-Label` headers.

Like AWS, each token is good for one call and for 24 hours, and a call sooner
than the poll interval is refused. Errors carry `X-Amzn-ErrorType` and a JSON
body of the model's error shapes (BadRequestException with its `Reason` and
`Details`, ResourceNotFoundException with its `ResourceType`).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_LIFETIME_SECONDS = 24 * 3600
DEFAULT_POLL_INTERVAL_SECONDS = 60
START = "StartConfigurationSession"
GET_LATEST = "GetLatestConfiguration"


@dataclass
class _Profile:
    content: bytes
    content_type: str
    version: int
    version_label: str | None


@dataclass
class _Token:
    profile: tuple[str, str, str]
    issued_at: float
    not_before: float  # no poll sooner: the interval given with the token
    seen_version: int  # the version this session last received (0: none)
    minimum_interval: int


class FakeAppConfigData:
    """An `appconfigdata` endpoint on 127.0.0.1 and a free port, with controls for tests.

    `clock` is the server's own sense of time (pass the FakeClock the provider
    uses, to move both at once). Identifiers are matched as given: register
    a profile under the names (or ids) the code under test will send.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        poll_interval: int = DEFAULT_POLL_INTERVAL_SECONDS,
    ) -> None:
        self.clock = clock
        self.poll_interval = poll_interval
        self._profiles: dict[tuple[str, str, str], _Profile] = {}
        self._tokens: dict[str, _Token] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread: threading.Thread | None = None
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- controls ------------------------------------------------------------

    def set_configuration(
        self,
        application: str,
        environment: str,
        profile: str,
        content: bytes | str,
        *,
        content_type: str = "application/json",
        version_label: str | None = None,
    ) -> None:
        """Deploy `content` to a profile: every session gets it on its next poll."""
        body = content.encode() if isinstance(content, str) else bytes(content)
        key = (application, environment, profile)
        with self._lock:
            previous = self._profiles.get(key)
            version = 1 if previous is None else previous.version + 1
            self._profiles[key] = _Profile(body, content_type, version, version_label)

    def set_poll_interval(self, seconds: int) -> None:
        """The `Next-Poll-Interval-In-Seconds` given with the tokens issued from now on."""
        self.poll_interval = seconds

    def expire_tokens(self) -> None:
        """Make every token issued so far expired, as 24 hours would."""
        with self._lock:
            for token in self._tokens.values():
                token.issued_at -= TOKEN_LIFETIME_SECONDS

    @property
    def requests(self) -> Counter[str]:
        """Requests served per operation (StartConfigurationSession, GetLatestConfiguration)."""
        with self._lock:
            return Counter(self._counts)

    def reset_counts(self) -> None:
        """Forget the request counts."""
        with self._lock:
            self._counts.clear()

    # -- serving -------------------------------------------------------------

    def start(self) -> str:
        """Serve in a daemon thread; return the endpoint URL."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> FakeAppConfigData:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the two operations: (status, headers, body) ---------------------------

    def start_session(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """StartConfigurationSession."""
        names = ("ApplicationIdentifier", "EnvironmentIdentifier", "ConfigurationProfileIdentifier")
        if not all(isinstance(request.get(name), str) for name in names):
            return _bad_request(
                "ApplicationIdentifier, EnvironmentIdentifier and "
                "ConfigurationProfileIdentifier are required",
                {},
            )
        key = (request[names[0]], request[names[1]], request[names[2]])
        minimum = request.get("RequiredMinimumPollIntervalInSeconds") or 0
        with self._lock:
            self._counts[START] += 1
            missing = self._missing(key)
            if missing:
                return _not_found(missing)
            token = self._issue(_Token(key, self.clock(), 0.0, 0, int(minimum)))
        return (
            201,
            {"Content-Type": "application/json"},
            json.dumps({"InitialConfigurationToken": token}).encode(),
        )

    def get_latest(self, token_text: str) -> tuple[int, dict[str, str], bytes]:
        """GetLatestConfiguration: the token is spent whatever the answer."""
        with self._lock:
            self._counts[GET_LATEST] += 1
            token = self._tokens.pop(token_text, None)
            now = self.clock()
            if token is None:
                return _bad_request("Invalid configuration token", {"Problem": "Corrupted"})
            if now >= token.issued_at + TOKEN_LIFETIME_SECONDS:
                return _bad_request("Expired configuration token", {"Problem": "Expired"})
            if now < token.not_before:
                self._tokens[token_text] = token  # refused, not spent: it may be used later
                return _bad_request("Request too early", {"Problem": "PollIntervalNotSatisfied"})
            profile = self._profiles[token.profile]
            interval = max(self.poll_interval, token.minimum_interval)
            unchanged = profile.version == token.seen_version
            following = _Token(
                token.profile, now, now + interval, profile.version, token.minimum_interval
            )
            headers = {
                "Next-Poll-Configuration-Token": self._issue(following),
                "Next-Poll-Interval-In-Seconds": str(interval),
                "Content-Type": profile.content_type,
            }
            if profile.version_label is not None:
                headers["Version-Label"] = profile.version_label
            return 200, headers, b"" if unchanged else profile.content

    def _missing(self, key: tuple[str, str, str]) -> str | None:
        """The ResourceType AWS names when a part of `key` does not exist, else None."""
        if not any(known[0] == key[0] for known in self._profiles):
            return "Application"
        if not any(known[:2] == key[:2] for known in self._profiles):
            return "Environment"
        if key not in self._profiles:
            return "ConfigurationProfile"
        return None

    def _issue(self, token: _Token) -> str:
        text = secrets.token_urlsafe(48)
        self._tokens[text] = token
        return text


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that hangs up (a pool closed, a timeout) is no server error."""


def _error(status: int, code: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "X-Amzn-ErrorType": code}
    return status, headers, json.dumps(body).encode()


def _bad_request(message: str, problem: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    body: dict[str, Any] = {"Message": message, "Reason": "InvalidParameters"}
    if problem:
        body["Details"] = {"InvalidParameters": {"ConfigurationToken": problem}}
    return _error(400, "BadRequestException", body)


def _not_found(resource_type: str) -> tuple[int, dict[str, str], bytes]:
    body = {"Message": f"{resource_type} not found", "ResourceType": resource_type}
    return _error(404, "ResourceNotFoundException", body)


def _handler_for(fake: FakeAppConfigData) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self._body()
            if urlsplit(self.path).path != "/configurationsessions":
                return self._send(*_error(404, "UnknownOperationException", {}))
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return self._send(*_bad_request("The request body is not JSON", {}))
            self._send(*fake.start_session(request if isinstance(request, dict) else {}))

        def do_GET(self) -> None:
            self._body()
            url = urlsplit(self.path)
            if url.path != "/configuration":
                return self._send(*_error(404, "UnknownOperationException", {}))
            tokens = parse_qs(url.query).get("configuration_token", [""])
            self._send(*fake.get_latest(tokens[0]))

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256"):
                status, headers, body = _error(
                    403, "MissingAuthenticationTokenException", {"Message": "Missing token"}
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Silent: a test's output is not the place for an access log."""

    return Handler
