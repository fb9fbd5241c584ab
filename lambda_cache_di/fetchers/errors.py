"""Translation of botocore errors into this library's errors, with transient ones marked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import FetchError, LambdaCacheError, NotFoundError

# Error codes after which a later attempt may well succeed.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "InternalServiceErrorException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "ParameterNotFound",
        "ParameterVersionNotFound",
        "ParameterVersionLabelNotFound",
        "ResourceNotFoundException",
        "NoSuchKey",
        "NoSuchBucket",
        "NotFound",
        "404",
    }
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, or the class name of any other botocore error."""
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    """Whether a botocore error may pass if tried again: throttling, 5xx, network trouble."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(exc) in TRANSIENT_CODES or int(status) >= 500
    return _is_network_error(exc)


def _is_network_error(exc: BaseException) -> bool:
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )
    from botocore.exceptions import (
        HTTPClientError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )

    return isinstance(
        exc,
        (
            BotoConnectionError,
            HTTPClientError,
            IncompleteReadError,
            ReadTimeoutError,
            ResponseStreamingError,
        ),
    )


def translate_error(
    exc: BaseException, operation: str, resource: str, *, not_found: tuple[str, ...] | None = None
) -> LambdaCacheError:
    """The library error for a botocore error raised by `operation` on `resource`.

    Raise the result `from exc`. The message holds the operation, the resource
    and the AWS error code only: AWS's own message stays on the cause.
    """
    code = error_code(exc)
    if code in NOT_FOUND_CODES:
        names = not_found if not_found is not None else (resource,)
        return NotFoundError(names, f"{operation}: not found: {', '.join(names)} ({code})")
    return FetchError(f"{operation} failed for {resource}: {code}", transient=is_transient(exc))


def incomplete(operation: str, resource: str, missing: str) -> FetchError:
    """The error for a response that lacks a field AWS always sends.

    botocore does not check a JSON body against its Content-Length and parses a
    cut one as an empty answer; read as one, it would pass for "not found".
    """
    return FetchError(
        f"{operation} returned an incomplete response for {resource} (no {missing})",
        transient=True,
    )


@contextmanager
def translated(
    operation: str, resource: str, *, not_found: tuple[str, ...] | None = None
) -> Iterator[None]:
    """Re-raise botocore errors from the block as library errors chained to them."""
    try:
        yield
    except Exception as exc:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (ClientError, BotoCoreError)):
            raise translate_error(exc, operation, resource, not_found=not_found) from exc
        raise
