"""Keep fetched values out of botocore's DEBUG log, for the library's own requests only.

botocore's response parser logs every response body at DEBUG (`Response body:`),
so switching botocore to DEBUG during an incident would print each secret and
SecureString the library fetches. A filter on that one logger replaces the
text of such records while the current thread is inside a library fetch
(`fetching()`); requests the application makes itself, in other threads or
outside a fetch, are logged as botocore always logs them.

Nothing here runs on a cache hit, and on a fetch with DEBUG off the cost is one
`isEnabledFor` call (logging caches its answer).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

# The loggers botocore writes response bodies to (botocore/parsers.py, `LOG.debug(...)`).
BODY_LOGGERS = ("botocore.parsers",)
PLACEHOLDER = "<redacted by lambda_cache_di: {size} characters>"

# The same object botocore logs to; held here so a fetch costs one cached `isEnabledFor`.
_BODY_LOGGER = logging.getLogger(BODY_LOGGERS[0])
_scope = threading.local()
_install_lock = threading.Lock()
_installed: list[logging.Filter] = []


class BodyRedactor(logging.Filter):
    """Replace the text and bytes arguments of a record logged inside a library fetch."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_scope, "depth", 0) and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_redacted(arg) for arg in args)
        return True


def _redacted(arg: object) -> object:
    if isinstance(arg, (str, bytes, bytearray, memoryview)):
        return PLACEHOLDER.format(size=len(arg))
    return arg


def install() -> None:
    """Put the filter on botocore's body loggers, once per process."""
    with _install_lock:
        if _installed:
            return
        redactor = BodyRedactor()
        for name in BODY_LOGGERS:
            logging.getLogger(name).addFilter(redactor)
        _installed.append(redactor)


class _Fetching:
    """Marks the current thread as inside a library fetch while botocore logs at DEBUG."""

    __slots__ = ("_active",)

    def __init__(self) -> None:
        self._active = False

    def __enter__(self) -> None:
        if _BODY_LOGGER.isEnabledFor(logging.DEBUG):
            if not _installed:
                install()
            _scope.depth = getattr(_scope, "depth", 0) + 1
            self._active = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._active:
            _scope.depth -= 1


def fetching() -> _Fetching:
    """A context for one library request: botocore's body records inside it are redacted."""
    return _Fetching()
