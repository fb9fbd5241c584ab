"""AppConfig Data fetcher: one configuration session, polled as AWS asks.

`appconfigdata` is a protocol with state, unlike the other services: a session
hands out single-use tokens, each good for 24 hours, and tells how long to wait
before the next poll; an empty body means "what you received last is still
current". `ConfigurationSession` keeps that state for one configuration
profile and one client. It keeps no value beyond the one the protocol needs
(the document an empty body refers to) and ages nothing: the provider caches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import FetchError
from .errors import error_code, incomplete, translated

# AWS refuses a token 24 hours after it was issued; a new session starts a minute
# before that, so that a token is never sent in its last seconds.
TOKEN_LIFETIME_SECONDS = 24 * 3600.0
TOKEN_MARGIN_SECONDS = 60.0
# What AWS sends when it says nothing (it always says, today).
DEFAULT_POLL_INTERVAL_SECONDS = 60.0

logger = logging.getLogger(__name__)


class Profile(NamedTuple):
    """What a session reads: an application, environment and profile (ids or names)."""

    application: str
    environment: str
    profile: str

    def __str__(self) -> str:
        return f"{self.application}/{self.environment}/{self.profile}"


class Configuration(NamedTuple):
    """A configuration document as AppConfig sent it: bytes, its content type and version label."""

    content: bytes
    content_type: str
    version_label: str | None


class _Poll(NamedTuple):
    content: bytes
    content_type: str
    version_label: str | None
    next_token: str
    interval: float


class TokenRefused(FetchError):
    """GetLatestConfiguration refused the token (BadRequestException): expired, spent or corrupt."""


def start_session(client: Any, profile: Profile) -> str:
    """StartConfigurationSession: the initial token of a new session."""
    logger.debug("StartConfigurationSession %s", profile)
    with translated("StartConfigurationSession", str(profile)):
        response = client.start_configuration_session(
            ApplicationIdentifier=profile.application,
            EnvironmentIdentifier=profile.environment,
            ConfigurationProfileIdentifier=profile.profile,
        )
    token = response.get("InitialConfigurationToken")
    if not token:
        raise incomplete("StartConfigurationSession", str(profile), "InitialConfigurationToken")
    return str(token)


def get_latest(client: Any, token: str, profile: Profile) -> _Poll:
    """GetLatestConfiguration with `token`; TokenRefused when AppConfig will not take it."""
    logger.debug("GetLatestConfiguration %s", profile)
    try:
        with translated("GetLatestConfiguration", str(profile)):
            response = client.get_latest_configuration(ConfigurationToken=token)
            body = response.get("Configuration")
            content = b"" if body is None else bytes(body.read())
    except FetchError as exc:
        cause = exc.__cause__
        if cause is not None and error_code(cause) == "BadRequestException":
            raise TokenRefused(str(exc)) from cause
        raise
    next_token = response.get("NextPollConfigurationToken")
    if not next_token:
        raise incomplete("GetLatestConfiguration", str(profile), "NextPollConfigurationToken")
    interval = response.get("NextPollIntervalInSeconds")
    return _Poll(
        content,
        str(response.get("ContentType") or "application/octet-stream"),
        response.get("VersionLabel"),
        str(next_token),
        DEFAULT_POLL_INTERVAL_SECONDS if interval is None else float(interval),
    )


class ConfigurationSession:
    """One AppConfig session for one profile: its next token, when it may poll, the last document.

    `latest(client)` makes no request inside the poll interval AppConfig gave
    (it returns the document it holds), starts a new session when there is
    none, when the client changed, when the token is near its 24 hours, or
    when AppConfig refused it, and reads an empty body as "unchanged".
    """

    def __init__(self, profile: Profile, clock: Callable[[], Callable[[], float]]) -> None:
        self.profile = profile
        self._clock = clock  # the provider's clock, read each time (set_clock may switch it)
        self._lock = threading.Lock()
        self._client: Any = None
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._next_poll_at = 0.0
        self._document: Configuration | None = None
        self._timed_by: Callable[[], float] | None = None  # the clock the deadlines are on

    def latest(self, client: Any) -> Configuration:
        """The current document: the one held inside the poll interval, else one poll's answer."""
        with self._lock:
            clock = self._clock()
            if clock is not self._timed_by:
                # Deadlines on another clock mean nothing on this one: start afresh.
                self._token, self._document, self._timed_by = None, None, clock
            now = clock()
            held = self._document
            if held is not None and client is self._client and now < self._next_poll_at:
                return held
            if self._token is None or client is not self._client or now >= self._token_expires_at:
                self._start(client)
            try:
                poll = self._poll(client)
            except TokenRefused:
                logger.debug("GetLatestConfiguration %s: token refused, new session", self.profile)
                self._start(client)
                poll = self._poll(client)
            if poll.content or self._document is None:
                self._document = Configuration(poll.content, poll.content_type, poll.version_label)
            return self._document

    def _start(self, client: Any) -> None:
        # The old session's document says nothing about the new one's empty bodies.
        self._token = None
        self._document = None
        self._client = client
        self._token = start_session(client, self.profile)
        self._token_expires_at = self._clock()() + TOKEN_LIFETIME_SECONDS - TOKEN_MARGIN_SECONDS

    def _poll(self, client: Any) -> _Poll:
        token = self._token
        if token is None:  # a failed start left none
            raise FetchError(f"GetLatestConfiguration failed for {self.profile}: no session")
        # Spent whatever happens: AppConfig may have taken it before a reply was lost.
        self._token = None
        poll = get_latest(client, token, self.profile)
        now = self._clock()()
        self._token = poll.next_token
        self._token_expires_at = now + TOKEN_LIFETIME_SECONDS - TOKEN_MARGIN_SECONDS
        self._next_poll_at = now + poll.interval
        return poll
