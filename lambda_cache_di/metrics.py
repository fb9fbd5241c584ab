"""Optional CloudWatch metrics in Embedded Metric Format (EMF): off by default, no dependency.

Lambda sends what a function prints to CloudWatch Logs, and CloudWatch turns a
log line shaped as EMF into metrics, with no agent and no API call. `EmfMetrics`
prints, per invocation (`@metrics.per_invocation`) or when asked (`record()`),
one EMF line for each cached provider of a container whose counts moved since
the last record: its hits, misses, errors, stale answers and throttled requests.
The dimensions are the provider's kind (`SSMParameter`) and its attribute name
in the container (`db_password`): never a parameter or secret name, never a value.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, TypeVar

from .core.cache import CacheStats
from .providers.discovery import cached_providers

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_NAMESPACE = "LambdaCacheDI"
# Metric names, in the order of `CacheStats`' fields.
METRIC_NAMES = ("Hits", "Misses", "Errors", "Stale", "Throttled")


class EmfMetrics:
    """Counts of a container's cached providers, printed as EMF lines (one per provider that moved).

    `stream` defaults to standard output, which Lambda ships to CloudWatch Logs.
    """

    def __init__(
        self,
        container: Any,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._container = container
        self._namespace = namespace
        self._stream = stream
        self._clock = clock
        self._last: dict[str, CacheStats] = {}
        self._lock = threading.Lock()

    def documents(self) -> list[dict[str, Any]]:
        """The EMF documents of the counts since the last call (and forget them)."""
        timestamp = int(self._clock() * 1000)
        documents = []
        with self._lock:
            for name, provider in cached_providers(self._container):
                now = provider.stats
                before = self._last.get(name, CacheStats())
                self._last[name] = now
                moved = [after - earlier for after, earlier in zip(now, before, strict=True)]
                if any(moved):
                    documents.append(
                        self._document(timestamp, type(provider).__name__, name, moved)
                    )
        return documents

    def _document(self, timestamp: int, kind: str, name: str, counts: list[int]) -> dict[str, Any]:
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": [["Kind", "Provider"]],
                        "Metrics": [{"Name": metric, "Unit": "Count"} for metric in METRIC_NAMES],
                    }
                ],
            },
            "Kind": kind,
            "Provider": name,
        }
        document.update(zip(METRIC_NAMES, counts, strict=True))
        return document

    def record(self) -> int:
        """Print one EMF line per provider whose counts moved since the last record; how many."""
        documents = self.documents()
        stream = self._stream if self._stream is not None else sys.stdout
        for document in documents:
            stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        stream.flush()
        return len(documents)

    def per_invocation(self, handler: F) -> F:
        """Decorate a handler: record after each invocation, whether it returned or raised."""

        @functools.wraps(handler)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            finally:
                self.record()

        return recorded  # type: ignore[return-value]
