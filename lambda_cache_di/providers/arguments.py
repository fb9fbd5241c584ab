"""The arguments every cached provider takes: their names, defaults and checks.

Also how an argument given as a provider (`config.param_name`) is resolved on
first use and named in error messages. `base.py` applies these; nothing here
imports dependency_injector, which only duck-types a provider as a callable.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypedDict

from ..core.cache import Clock
from ..core.environment import MAX_AGE_VARIABLE, max_age_text
from ..errors import ConfigurationError


class AgeOptions(TypedDict, total=False):
    """The keyword arguments every cached provider takes, but `transform`."""

    max_age_in_seconds: Any  # seconds, or a provider of them
    client: Any
    stale_if_error_in_seconds: float
    backoff_cap_in_seconds: float
    jitter: float | None  # None: the default spread of the first value only
    throttle_wait_in_seconds: float
    clock: Clock
    shared: bool | None  # share across processes: True, False, or None for the auto rule


class CacheOptions(AgeOptions, total=False):
    """The keyword arguments every cached provider takes (see `CachedProvider`)."""

    transform: Any  # None, "json" or a callable


DEFAULT_MAX_AGE_SECONDS = 60.0
DEFAULT_BACKOFF_CAP_SECONDS = 5.0
# With `jitter=None` (the default) the first value an entry stores lives a random
# 25-100 % of its max age and later values their full max age: environments that
# cold-started together stop refreshing together after one max age
# (`python -m benchmarks.processes`), at the cost of one early refresh each.
DEFAULT_FIRST_JITTER = 0.75


def default_max_age() -> float:
    """`LAMBDA_CACHE_DI_MAX_AGE` from the environment when set, else 60 seconds."""
    raw = max_age_text()
    if raw is None:
        return DEFAULT_MAX_AGE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigurationError(f"{MAX_AGE_VARIABLE}={raw!r} is not a number") from None
    return check_seconds(seconds, MAX_AGE_VARIABLE)


def source_name(provider: Any) -> str:
    """How a provider argument reads in messages: `config.name`, else its type."""
    get_name = getattr(provider, "get_name", None)
    if callable(get_name):
        try:
            return str(get_name())
        except Exception:  # a name is a nicety: fall back to the type
            pass
    return type(provider).__name__


def resolved(provider: Any, argument: str) -> Any:
    """Call a provider argument; a failure is a ConfigurationError naming the argument."""
    try:
        return provider()
    except Exception as exc:
        raise ConfigurationError(
            f"{argument}: {source_name(provider)} could not be resolved ({type(exc).__name__})"
        ) from exc


@contextmanager
def explained(provider: Any, value: Any) -> Iterator[None]:
    """Add where a value came from to a ConfigurationError about it, without quoting it.

    A configuration option may hold anything, a secret by mistake included: the
    message names the option instead of repeating what it held.
    """
    try:
        yield
    except ConfigurationError as exc:
        source = source_name(provider)
        message = str(exc)
        for text in _texts_in(value):
            message = message.replace(repr(text), f"<the value of {source}>")
    else:
        return
    raise ConfigurationError(f"{message} (resolved from {source})") from None


def _texts_in(value: Any) -> list[str]:
    """The strings a resolved argument holds: itself, its items, a mapping's keys and values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        return []
    # Longest first, so that a name is never half replaced by a shorter one it contains.
    return sorted((item for item in items if isinstance(item, str)), key=len, reverse=True)


def check_client(client: Any) -> Any:
    """Refuse what is surely a mistake (`client="ssm"`); any other object may be a fake client."""
    if isinstance(client, (str, bytes, int, float, dict, list, tuple)):
        raise ConfigurationError(
            f"client must be a boto3 client, a provider of one, or None; "
            f"not {type(client).__name__}"
        )
    return client


def check_seconds(value: object, argument: str) -> float:
    """A finite, non-negative number of seconds that fits in a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{argument} must be a number of seconds, not {value!r}")
    try:
        seconds = float(value)
    except OverflowError:
        # An int such as 10**400: its repr alone may run to hundreds of digits.
        raise ConfigurationError(f"{argument} is too large to be a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigurationError(f"{argument} must be finite and >= 0, not {value!r}")
    return seconds


def check_fraction(value: object, argument: str) -> float:
    """A number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigurationError(f"{argument} must be a number in [0, 1), not {value!r}")
    return float(value)


def check_shared(value: object) -> bool | None:
    """`None` (the auto rule), `True` or `False`."""
    if value is None or isinstance(value, bool):
        return value
    raise ConfigurationError(f"shared must be None, True or False, not {value!r}")
