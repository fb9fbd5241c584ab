"""Resolve every cached provider of a container once and report, without values, what failed.

The report names each provider, its resource and an outcome: `OK`,
`skipped (overridden)`, `missing`, `access denied` or `error (CODE)`. No
value is ever printed, nor its type or length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import FetchError, LambdaCacheError, NotFoundError
from ..fetchers.errors import error_code
from ..providers.discovery import cached_providers
from .target import fresh_instance

OK = "OK"
SKIPPED = "skipped (overridden)"
MISSING = "missing"
ACCESS_DENIED = "access denied"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of resolving one cached provider."""

    name: str
    resource: str
    outcome: str

    @property
    def failed(self) -> bool:
        """Whether the outcome is a failure: neither OK nor skipped."""
        return self.outcome not in (OK, SKIPPED)


def check_container(container: Any) -> list[CheckResult]:
    """Refresh every cached provider of a fresh copy of `container`, one after the other.

    Overridden providers are skipped: the override answers, not AWS.
    """
    results = []
    for name, provider in cached_providers(fresh_instance(container)):
        if provider.last_overriding is not None:
            results.append(CheckResult(name, provider.describe(), SKIPPED))
            continue
        try:
            # Resolved from the environment this runs in (`config.param_name`).
            provider.resolve()
            provider.verify()
        except Exception as exc:  # reported, never re-raised: the check goes on
            results.append(CheckResult(name, provider.describe(), outcome_of(exc)))
        else:
            results.append(CheckResult(name, provider.describe(), OK))
        finally:
            provider.invalidate()  # drop the value at once: nothing here uses it
    return results


def outcome_of(exc: BaseException) -> str:
    """How a failure reads in the report: never its value, at most AWS's error code."""
    if isinstance(exc, NotFoundError):
        return f"{MISSING}: {', '.join(exc.names)}"
    if isinstance(exc, FetchError) and exc.__cause__ is not None:
        code = error_code(exc.__cause__)
        if code.startswith("AccessDenied"):
            return ACCESS_DENIED
        return f"error ({code})"
    if isinstance(exc, LambdaCacheError):
        # This library's messages name operations, resources and codes, never values.
        return f"error: {exc}"
    return f"error ({type(exc).__name__})"


def format_table(results: Iterable[CheckResult]) -> str:
    """The results as an aligned text table with a header row."""
    rows = [("PROVIDER", "RESOURCE", "RESULT")]
    rows += [(result.name, result.resource, result.outcome) for result in results]
    widths = [max(len(row[column]) for row in rows) for column in range(2)]
    lines = [
        f"{name:<{widths[0]}}  {resource:<{widths[1]}}  {outcome}"
        for name, resource, outcome in rows
    ]
    return "\n".join(lines) + "\n"
