"""A user's own fetch callable, called with its client; its errors made this library's.

botocore errors are translated as every fetcher's are (`errors.translated`), so
throttling, 5xx and network trouble are transient. The library's own errors
raised by the callable pass as they are: a callable says "not found" by raising
`NotFoundError`. Anything else becomes a FetchError naming the exception's class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import FetchError, LambdaCacheError
from .errors import translated


def call(fetch: Callable[..., Any], client: Any, resource: str, *, chain: bool) -> Any:
    """`fetch(client)`, or `fetch()` when there is no client; errors as the module says.

    With `chain=False` a foreign error is not chained, so its message (which
    may quote a secret the callable handled) goes nowhere.
    """
    try:
        with translated("call", resource):
            return fetch() if client is None else fetch(client)
    except LambdaCacheError:
        raise
    except Exception as exc:
        name = type(exc).__name__
        cause = exc if chain else None
    # Raised outside the except block: unchained, __context__ holds nothing either.
    raise FetchError(f"call failed for {resource}: {name}") from cause
