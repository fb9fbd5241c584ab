"""Translation of botocore errors into this library's errors, with transient ones marked."""

from __future__ import annotations

import errno
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import FetchError, LambdaCacheError, NotFoundError
from .redaction import fetching

# Error codes after which a later attempt may well succeed.
# (A 404 that carries no AWS error code is transient too: see `is_transient`.)
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
    }
)
# Not "404" nor "NotFound": botocore makes up such codes from the HTTP status when
# the body holds none, as for the 404 page of a wrong endpoint or of a proxy.

# S3 says "slow down" with a 503, and HEAD answers carry no body to hold the code.
S3_OPERATIONS = frozenset({"GetObject", "HeadObject"})
THROTTLING_STATUS_S3 = 503


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ("HTTP 404" when there is none), or the class name."""
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = _status(exc)
        if status:
            return f"HTTP {status}"
    return type(exc).__name__


def _status(exc: BaseException) -> int:
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    try:
        return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    except (TypeError, ValueError):
        return 0


def is_transient(exc: BaseException) -> bool:
    """Whether a botocore error may pass if tried again: throttling, 5xx, network trouble.

    A 404 without an AWS error code came from something between the client and
    AWS (a proxy, a gateway being redeployed, a wrong endpoint): not "not found".
    """
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        status = _status(exc)
        code = error_code(exc)
        return code in TRANSIENT_CODES or status >= 500 or (status == 404 and _bare(code, status))
    return _is_network_error(exc)


def is_throttled(exc: BaseException, operation: str = "") -> bool:
    """Whether AWS refused the request for a quota, by botocore's own throttling rules.

    botocore's standard retry mode keeps the list of throttling error codes
    (`ThrottlingException`, `Throttling`, `TooManyRequestsException`,
    `SlowDown`, ...) and counts a 429 without a modeled code: asked here, not
    copied. S3 (`operation` one of `S3_OPERATIONS`) also throttles with a bare 503.
    """
    from botocore.exceptions import ClientError
    from botocore.retries.standard import RetryContext

    if not isinstance(exc, ClientError):
        return False
    status = _status(exc)
    if status == THROTTLING_STATUS_S3 and operation in S3_OPERATIONS:
        return True
    context = RetryContext(
        attempt_number=1, parsed_response=exc.response, http_response=_Status(status)
    )
    return bool(_THROTTLING.detector(context))


class _Status:
    """The one field of an HTTP response that botocore's throttling check reads."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class _Detector:
    """botocore's throttling detector, made once on first use (botocore loads lazily)."""

    def __init__(self) -> None:
        self._check: Any = None

    def detector(self, context: Any) -> Any:
        if self._check is None:
            from botocore.retries.standard import RetryEventAdapter, ThrottlingErrorDetector

            self._check = ThrottlingErrorDetector(
                RetryEventAdapter()
            ).is_throttling_error_from_context
        return self._check(context)


_THROTTLING = _Detector()


def throttling_code(code: str) -> bool:
    """Whether an error code alone (a per-secret `ErrorCode` of a batch) means throttling."""
    from botocore.retries.standard import RetryContext

    context = RetryContext(attempt_number=1, parsed_response={"Error": {"Code": code}})
    return bool(_THROTTLING.detector(context))


def _bare(code: str, status: int) -> bool:
    """Whether botocore found no AWS error code in the body and fell back on the status."""
    return code in (str(status), f"HTTP {status}")


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
    return FetchError(
        f"{operation} failed for {resource}: {code}",
        transient=is_transient(exc),
        throttled=is_throttled(exc, operation),
    )


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
    """Re-raise botocore errors from the block as library errors chained to them.

    botocore's DEBUG records of the response bodies read in the block are redacted.
    """
    try:
        with fetching():
            yield
    except Exception as exc:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (ClientError, BotoCoreError)):
            forget_locals(exc)
            raise translate_error(exc, operation, resource, not_found=not_found) from exc
        if isinstance(exc, OSError):
            # A socket or file error that botocore did not wrap: network or disk trouble
            # that may pass (a full disk frees up, a connection comes back).
            forget_locals(exc)
            raise os_error(exc, operation, resource) from exc
        raise


def forget_locals(error: BaseException) -> None:
    """Clear the locals of the finished frames in the tracebacks of `error` and its chain.

    The library's errors are chained to botocore's for debugging, and a traceback
    keeps its lines without them; but a frame deep in botocore, urllib3 or the
    socket module may hold the bytes of a response read before the failure (a
    connection reset mid-body leaves them in the read buffer), and so a value.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)  # skips frames still running
        pending += [exc.__cause__, exc.__context__]


def os_error(exc: OSError, operation: str, resource: str) -> FetchError:
    """A transient FetchError for an OSError, naming its errno (ENOSPC, ECONNRESET...)."""
    name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return FetchError(f"{operation} failed for {resource}: {name}", transient=True)
