"""The base of every cached provider: a dependency-injector Provider around a CacheEntry.

This layer (with the edges) is the only one that imports dependency_injector.
The cache lives in the provider instance; a container instance deep-copies its
providers, so every new container starts cold.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, TypeVar

from dependency_injector import containers, providers

from ..cache import CacheEntry, CacheStats, Clock
from ..errors import ConfigurationError
from ..fetchers.clients import default_client
from ..names import check_fraction, check_seconds
from .sharing import ProviderSource, check_shared

if TYPE_CHECKING:
    pass

T = TypeVar("T")


class CacheOptions(TypedDict, total=False):
    """The keyword arguments every cached provider takes (see `CachedProvider`)."""

    max_age_in_seconds: float | None
    client: Any
    stale_if_error_in_seconds: float
    backoff_cap_in_seconds: float
    jitter: float
    clock: Clock
    shared: bool | None


DEFAULT_MAX_AGE_SECONDS = 60.0
DEFAULT_BACKOFF_CAP_SECONDS = 5.0
MAX_AGE_VARIABLE = "LAMBDA_CACHE_DI_MAX_AGE"


def default_max_age() -> float:
    """`LAMBDA_CACHE_DI_MAX_AGE` from the environment when set, else 60 seconds."""
    raw = os.environ.get(MAX_AGE_VARIABLE)
    if raw is None or not raw.strip():
        return DEFAULT_MAX_AGE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigurationError(f"{MAX_AGE_VARIABLE}={raw!r} is not a number") from None
    return check_seconds(seconds, MAX_AGE_VARIABLE)


class CachedProvider(providers.Provider[T], Generic[T]):
    """A provider whose value is fetched from AWS and kept for `max_age_in_seconds`.

    Subclasses name the AWS service, check their own arguments in `__init__`,
    fetch with `_fetch_with(client)` and describe themselves with `resource`.
    """

    __slots__ = ("_client", "_entry", "_options", "_provide")

    service: ClassVar[str]
    # Whether `shared=None` shares this kind of value where several processes run.
    shared_by_default: ClassVar[bool] = True
    source_class: ClassVar[type[ProviderSource]] = ProviderSource

    def __init__(
        self,
        *,
        max_age_in_seconds: float | None = None,
        client: Any = None,
        stale_if_error_in_seconds: float = 0,
        backoff_cap_in_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS,
        jitter: float = 0,
        clock: Clock = time.monotonic,
        shared: bool | None = None,
    ) -> None:
        if max_age_in_seconds is None:
            max_age_in_seconds = default_max_age()
        if not callable(clock):
            raise ConfigurationError(f"clock must be a callable returning seconds, not {clock!r}")
        self._options: dict[str, Any] = {
            "max_age_in_seconds": check_seconds(max_age_in_seconds, "max_age_in_seconds"),
            "stale_if_error_in_seconds": check_seconds(
                stale_if_error_in_seconds, "stale_if_error_in_seconds"
            ),
            "backoff_cap_in_seconds": check_seconds(
                backoff_cap_in_seconds, "backoff_cap_in_seconds"
            ),
            "jitter": check_fraction(jitter, "jitter"),
            "shared": check_shared(shared),
        }
        self._client = _check_client(client)
        self._entry: CacheEntry[T] = CacheEntry(
            self._fetch,
            max_age=self._options["max_age_in_seconds"],
            stale_if_error=self._options["stale_if_error_in_seconds"],
            backoff_cap=self._options["backoff_cap_in_seconds"],
            jitter=self._options["jitter"],
            clock=clock,
            source=self.source_class(self),
        )
        # dependency-injector calls `self._provide(args, kwargs)`; binding it straight
        # to the entry keeps a cache hit to one Python call.
        self._provide = self._entry.get
        super().__init__()

    # -- what subclasses provide --------------------------------------------

    @property
    def resource(self) -> str:
        """What this provider caches, as a user would name it (never its value)."""
        raise NotImplementedError

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments of the subclass, to build a copy."""
        raise NotImplementedError

    def _fetch_with(self, client: Any) -> T:
        raise NotImplementedError

    # -- dependency-injector protocol ---------------------------------------

    def __deepcopy__(self, memo: dict[Any, Any] | None = None) -> CachedProvider[T]:
        memo = {} if memo is None else memo
        copied = memo.get(id(self))
        if copied is not None:
            return copied  # type: ignore[no-any-return]
        args, kwargs = self._arguments()
        client = self._client
        if providers.is_provider(client):
            client = providers.deepcopy(client, memo)
        copied = type(self)(*args, **kwargs, **self._options, client=client, clock=self.clock)
        memo[id(self)] = copied
        self._copy_overridings(copied, memo)
        return copied

    @property
    def related(self) -> Iterator[providers.Provider[Any]]:
        if providers.is_provider(self._client):
            yield self._client
        yield from super().related

    def __repr__(self) -> str:
        age = self._entry.age
        state = "not fetched" if age is None else f"age={age:.1f}s"
        if self.last_overriding is not None:
            state += ", overridden"
        max_age = self._options["max_age_in_seconds"]
        return f"<{type(self).__name__} {self.resource!r} max_age={max_age:g}s {state}>"

    __str__ = __repr__

    # -- public cache controls ----------------------------------------------

    def refresh(self) -> T:
        """Fetch now, ignoring age and back-off; store and return the fresh value.

        An overridden provider returns its override instead, so a handler that
        refreshes makes no AWS call in a test that replaced the provider.
        """
        overriding = self.last_overriding
        if overriding is not None:
            return overriding()  # type: ignore[no-any-return]
        return self._entry.refresh()

    def invalidate(self) -> None:
        """Forget the cached value; the next call fetches."""
        self._entry.invalidate()

    @property
    def stats(self) -> CacheStats:
        """Hits, misses, errors and stale answers so far."""
        return self._entry.stats

    @property
    def age(self) -> float | None:
        """Seconds since the value was fetched, or None when nothing is cached."""
        return self._entry.age

    @property
    def max_age_in_seconds(self) -> float:
        return float(self._options["max_age_in_seconds"])

    @property
    def clock(self) -> Clock:
        """The monotonic clock that ages values; a cached value keeps its age across a switch."""
        return self._entry.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._entry.clock = clock

    @property
    def client(self) -> Any:
        """The client as given: a boto3 client, a provider of one, or None for the default."""
        return self._client

    # -- fetching -------------------------------------------------------------

    def resolve_client(self) -> Any:
        """The boto3 client this provider fetches with now."""
        client = self._client
        if client is None:
            return default_client(self.service)
        if providers.is_provider(client):
            return client()
        return client

    def _fetch(self) -> T:
        return self._fetch_with(self.resolve_client())

    # -- the shared tier (see providers/sharing.py) ---------------------------

    @property
    def shared(self) -> bool | None:
        """As given: True shares across processes, False never does, None by the auto rule."""
        return self._options["shared"]  # type: ignore[no-any-return]

    def _fetch_raw(self) -> Any:
        """The value as fetched, before any transform: what the shared tier stores."""
        return self._fetch_with(self.resolve_client())

    def _finish(self, raw: Any) -> T:
        """The value this provider returns, made from a raw fetched value."""
        return raw  # type: ignore[no-any-return]

    def private_value(self, raw: Any) -> bool:
        """Whether `shared=None` must keep this raw value off the disk (say, a SecureString)."""
        return False


def _check_client(client: Any) -> Any:
    """Refuse what is surely a mistake (`client="ssm"`); any other object may be a fake client."""
    if isinstance(client, (str, bytes, int, float, dict, list, tuple)):
        raise ConfigurationError(
            f"client must be a boto3 client, a provider of one, or None; "
            f"not {type(client).__name__}"
        )
    return client


def cached_providers(container: Any) -> Iterator[tuple[str, CachedProvider[Any]]]:
    """Every cached provider of a container instance, with its dotted name (`aws.ssm`)."""
    seen: set[int] = set()
    yield from _walk(container, "", seen)


def _walk(container: Any, prefix: str, seen: set[int]) -> Iterator[tuple[str, CachedProvider[Any]]]:
    for name, provider in container.providers.items():
        if id(provider) in seen:
            continue
        seen.add(id(provider))
        if isinstance(provider, CachedProvider):
            yield prefix + name, provider
        elif isinstance(provider, providers.Container):
            yield from _walk(provider.container, f"{prefix}{name}.", seen)


def invalidate_all(container: containers.Container) -> None:
    """Forget every cached value in a container instance."""
    for _, provider in cached_providers(container):
        provider.invalidate()


def set_clock(container: containers.Container, clock: Clock) -> None:
    """Age every cached provider of a container by `clock` (tests and the demo)."""
    for _, provider in cached_providers(container):
        provider.clock = clock
