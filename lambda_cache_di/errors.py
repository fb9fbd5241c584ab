"""The exceptions this library raises; none of their messages ever holds a fetched value."""

from __future__ import annotations

from collections.abc import Iterable


class LambdaCacheError(Exception):
    """Base of every error raised by lambda_cache_di."""


class ConfigurationError(LambdaCacheError, ValueError):
    """Raised for a bad definition or setting, when a provider is constructed.

    An argument given as a provider (a `Configuration` option) is checked on first use.
    """


class NotFoundError(LambdaCacheError, LookupError):
    """Raised at fetch when parameters, secrets or objects do not exist; `.names` lists them all.

    Args:
        names: every name that was not found.
        message: the message; by default `not found: ` and the names.
    """

    def __init__(self, names: Iterable[str], message: str | None = None) -> None:
        self.names: tuple[str, ...] = tuple(names)
        super().__init__(message or "not found: " + ", ".join(self.names))


class FetchError(LambdaCacheError):
    """Raised at fetch for any other failure; `__cause__` is the botocore error when one caused it.

    `transient` tells whether a retry may succeed (throttling, 5xx, connection
    errors, timeouts): only such failures may be answered with stale data.
    `throttled` tells that AWS refused the request for a quota (it implies
    `transient`): a value in hand is then served, and a fetch with none waits.
    `in_parts` tells that the fetch is made of several calls, and
    `partly_served` that some of them were answered (they are kept, and its next
    try comes back sooner: see docs/throttling.md).

    Args:
        message: what failed and where, never a value.
        transient: whether a retry may succeed.
        throttled: whether AWS refused the request for a quota (implies transient).
        in_parts: whether the fetch is made of several calls (it may be partly served).
        partly_served: whether some calls of the fetch were answered before it failed.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        throttled: bool = False,
        in_parts: bool = False,
        partly_served: bool = False,
    ) -> None:
        self.transient = transient or throttled
        self.throttled = throttled
        self.in_parts = in_parts or partly_served
        self.partly_served = partly_served
        super().__init__(message)


class TransformError(FetchError, ValueError):
    """Raised at fetch when a value cannot be transformed (say, a secret that is not JSON).

    A FetchError that is never transient, so `except FetchError` catches it too.

    The message names the resource and the position of the problem, never the
    value; the parser's own exception is not chained because it holds the text.
    """
