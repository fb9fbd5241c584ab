"""The base of every cached provider: a dependency-injector Provider around a CacheEntry.

This layer (with the edges) is the only one that imports dependency_injector.
The cache lives in the provider instance; a container instance deep-copies its
providers, so every new container starts cold.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import suppress
from typing import Any, ClassVar, Generic, TypeVar

from dependency_injector import providers

from ..core.cache import CacheEntry, CacheStats, CallableSource, Clock
from ..core.iam import Arns, IamGrant
from ..core.pacing import DEFAULT_THROTTLE_WAIT_SECONDS
from ..core.shared import BatchAnswer, SharedStore, SharedValue, resolve_shared
from ..core.transform import check_transform, transformed
from ..errors import ConfigurationError, FetchError, LambdaCacheError, TransformError
from ..fetchers.clients import checked_client, client_origin, default_client
from .arguments import (
    DEFAULT_BACKOFF_CAP_SECONDS,
    DEFAULT_FIRST_JITTER,
    DEFAULT_MAX_AGE_SECONDS,
    check_client,
    check_fraction,
    check_seconds,
    check_shared,
    default_max_age,
    explained,
    resolved,
    source_name,
)

T = TypeVar("T")


class CachedProvider(providers.Provider[T], Generic[T]):
    """A provider whose value is fetched from AWS and kept for `max_age_in_seconds`.

    Subclasses name the AWS service and the first argument, parse that argument
    in `_define`, fetch with `_fetch_with(client)` and describe themselves with
    `_describe`. The first argument and `max_age_in_seconds` may be providers
    (`config.param_name`): they are resolved and checked once, on first use, by
    `resolve()`, and stay fixed after that.

    Args:
        definition: what to fetch, the first argument of each provider (a name, a
            list of names, a path, an S3 URI), or a provider of it.
        max_age_in_seconds: how old a cached value may be; `0` fetches on every
            call. `None` reads `LAMBDA_CACHE_DI_MAX_AGE`, else 60. May be a provider.
        client: a boto3 client, or a provider of one (`aws.ssm` of `AwsClients`);
            `None` uses a shared default client created from the environment.
        stale_if_error_in_seconds: after a transient failure (throttling, 5xx,
            connection error, timeout), serve the last good value while it is
            younger than max age + this.
        backoff_cap_in_seconds: the longest back-off window after repeated failures.
        jitter: a fraction in [0, 1): each fetched value lives
            `max_age * (1 - jitter * random())`, so a fleet spreads its refreshes.
        clock: the monotonic clock that ages values (tests pass a `FakeClock`).
        transform: `"json"`, or a callable applied once per fetched value (per
            value in a group); what it returns is cached.
        shared: share the value with the other processes of the environment:
            `True`, `False`, or `None` for the automatic rule.
        throttle_wait_in_seconds: how long a fetch with no value in hand keeps
            retrying while AWS throttles it (full-jitter back-off), before the
            call fails with the throttling `FetchError`.

    Raises:
        ConfigurationError: at construction, when an argument given as a value is
            malformed (an empty name, a negative age, an unknown transform); at
            first resolve (first call, `prefetch`, `iam-policy`, `check`), when an
            argument given as a provider resolves to such a value.
        NotFoundError: at call, when what it names does not exist (`.names` lists
            every missing identifier); nothing partial is cached.
        FetchError: at call, for any other failure to fetch (`transient` and
            `throttled` say whether a retry may succeed), or when no client can
            be made; unless a value in hand may be served instead.
        TransformError: at call, when `transform` refuses the fetched value
            (its message holds no value).
    """

    __slots__ = (
        "_client",
        "_definition",
        "_entry",
        "_holds_private",
        "_options",
        "_pending",
        "_provide",
        "_resolve_lock",
        "_tier",
        "_transform",
    )

    service: ClassVar[str]
    argument: ClassVar[str]  # the name of the first argument, for error messages
    noun: ClassVar[str]  # what one fetched value is, for TransformError messages
    json_transform: ClassVar[bool] = True
    per_value: ClassVar[bool] = False  # a dict of values: transform each value

    # -- the source protocol: what the edges ask of a provider class -----------
    # (prefetch, the SnapStart hooks, iam-policy and check read these and nothing else;
    # a new source sets them, and no edge module names it.)

    #: Whether its values are secrets: kept in process memory unless `shared=True`
    #: (the auto rule shares the rest), and forgotten before a SnapStart snapshot.
    holds_secrets: ClassVar[bool] = False
    #: Whether `prefetch` may fetch it during a SnapStart init: nothing it reads there
    #: is decrypted or secret.
    snapshot_safe: ClassVar[bool] = False
    #: Whether its value is a local file (kept by `drop_parameters=True` before a snapshot).
    keeps_file: ClassVar[bool] = False
    #: Printed by `iam-policy` under the policy: what its grants cannot cover.
    iam_notes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        definition: Any,
        *,
        max_age_in_seconds: Any = None,
        client: Any = None,
        stale_if_error_in_seconds: float = 0,
        backoff_cap_in_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS,
        jitter: float | None = None,
        throttle_wait_in_seconds: float = DEFAULT_THROTTLE_WAIT_SECONDS,
        clock: Clock = time.monotonic,
        transform: Any = None,
        shared: bool | None = None,
    ) -> None:
        if not callable(clock):
            raise ConfigurationError(f"clock must be a callable returning seconds, not {clock!r}")
        self._definition = definition
        lazy_age = providers.is_provider(max_age_in_seconds)
        if max_age_in_seconds is None:
            max_age_in_seconds = default_max_age()
        elif not lazy_age:
            max_age_in_seconds = check_seconds(max_age_in_seconds, "max_age_in_seconds")
        self._options: dict[str, Any] = {
            "max_age_in_seconds": max_age_in_seconds,
            "stale_if_error_in_seconds": check_seconds(
                stale_if_error_in_seconds, "stale_if_error_in_seconds"
            ),
            "backoff_cap_in_seconds": check_seconds(
                backoff_cap_in_seconds, "backoff_cap_in_seconds"
            ),
            "jitter": None if jitter is None else check_fraction(jitter, "jitter"),
            "throttle_wait_in_seconds": check_seconds(
                throttle_wait_in_seconds, "throttle_wait_in_seconds"
            ),
            "transform": transform,
            "shared": check_shared(shared),
        }
        self._transform = check_transform(transform, json_allowed=self.json_transform)
        # Whether the last value made came from a private raw value (a SecureString):
        # the SnapStart hook drops such values, whatever the transform made of them.
        self._holds_private = False
        self._client = check_client(client)
        self._tier: SharedValue | None = None
        lazy_definition = providers.is_provider(definition)
        if not lazy_definition:
            self._define(definition)
        self._pending = lazy_definition or lazy_age
        self._resolve_lock = threading.Lock()
        self._entry: CacheEntry[T] = CacheEntry(
            self._fetch,
            max_age=DEFAULT_MAX_AGE_SECONDS if lazy_age else max_age_in_seconds,
            stale_if_error=self._options["stale_if_error_in_seconds"],
            backoff_cap=self._options["backoff_cap_in_seconds"],
            # jitter=None: only the first value is spread (see DEFAULT_FIRST_JITTER).
            jitter=self._options["jitter"] or 0.0,
            first_jitter=DEFAULT_FIRST_JITTER if jitter is None else None,
            throttle_wait=self._options["throttle_wait_in_seconds"],
            clock=clock,
            # Delegation, not reach: the entry gets two plain callables of this provider.
            source=CallableSource(self._load, self._forget),
        )
        # dependency-injector calls `self._provide(args, kwargs)`; once resolved, binding
        # it straight to the entry keeps a cache hit to one Python call.
        self._provide = self._provide_pending if self._pending else self._ready_provide()
        super().__init__()

    # -- what subclasses provide --------------------------------------------

    def _define(self, value: Any) -> None:
        """Parse and store the first argument; raise ConfigurationError naming it."""
        raise NotImplementedError

    def _describe(self) -> str:
        """The resource as a user would name it, once defined (never its value)."""
        raise NotImplementedError

    def _arguments(self) -> dict[str, Any]:
        """The subclass's own keyword arguments, to build a copy."""
        return {}

    def _fetch_with(self, client: Any) -> Any:
        """The raw value(s), before any transform."""
        raise NotImplementedError

    def _member(self, key: str) -> str:
        """How a TransformError names the value under `key` of a per-value provider."""
        return f"{self.noun} {self._describe()} [{key}]"

    def _ready_provide(self) -> Any:
        """The `_provide` of a resolved provider."""
        return self._entry.get

    # -- resolution of provider arguments ---------------------------------------

    def resolve(self) -> None:
        """Resolve and check provider arguments now (first argument, max age); once only.

        Fetching, `prefetch`, `iam-policy` and `check` call it. An unresolvable
        or invalid value raises ConfigurationError naming the argument; the
        next call tries again. Plain arguments were checked at construction.
        """
        if not self._pending:
            return
        with self._resolve_lock:
            if not self._pending:
                return
            if providers.is_provider(self._definition):
                value = resolved(self._definition, self.argument)
                with explained(self._definition, value):
                    self._define(value)
            max_age = self._options["max_age_in_seconds"]
            if providers.is_provider(max_age):
                value = resolved(max_age, "max_age_in_seconds")
                with explained(max_age, value):
                    self._entry.max_age = check_seconds(_number(value), "max_age_in_seconds")
            self._provide = self._ready_provide()
            self._pending = False

    def _provide_pending(self, args: object = None, kwargs: object = None) -> T:
        self.resolve()
        return self._provide(args, kwargs)

    def describe(self) -> str:
        """The resource if known, else where it will come from (`config.name`); never resolves."""
        if self._pending and providers.is_provider(self._definition):
            return f"(not resolved: {source_name(self._definition)})"
        return self._describe()

    # -- dependency-injector protocol ---------------------------------------

    def __deepcopy__(self, memo: dict[Any, Any] | None = None) -> CachedProvider[T]:
        memo = {} if memo is None else memo
        copied = memo.get(id(self))
        if copied is not None:
            return copied  # type: ignore[no-any-return]
        copied = self._rebuild(lambda given: providers.deepcopy(given, memo))
        memo[id(self)] = copied
        self._copy_overridings(copied, memo)
        return copied

    def __copy__(self) -> CachedProvider[T]:
        """A cold provider with the same arguments (provider arguments shared, not copied)."""
        return self._rebuild(lambda given: given)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled: it holds a lock and a live cache; "
            "build the container in each process instead"
        )

    def _rebuild(self, copy_provider: Any) -> CachedProvider[T]:
        """A cold copy built from the arguments as given; `copy_provider` copies provider ones."""

        def given(value: Any) -> Any:
            return copy_provider(value) if providers.is_provider(value) else value

        options = {key: given(value) for key, value in self._options.items()}
        return type(self)(
            given(self._definition),
            **self._arguments(),
            **options,
            client=given(self._client),
            clock=self.clock,
        )

    @property
    def related(self) -> Iterator[providers.Provider[Any]]:
        """The providers this one depends on (client, first argument, max age, overrides)."""
        for argument in (self._client, self._definition, self._options["max_age_in_seconds"]):
            if providers.is_provider(argument):
                yield argument
        yield from super().related

    def __repr__(self) -> str:
        age = self._entry.age
        state = "not fetched" if age is None else f"age={age:.1f}s"
        if self.last_overriding is not None:
            state += ", overridden"
        given_age = self._options["max_age_in_seconds"]
        if providers.is_provider(given_age) and self._pending:
            max_age = source_name(given_age)
        else:
            max_age = f"{self._entry.max_age:g}s"
        described = self.describe()
        if not described.startswith("(not resolved"):
            described = repr(described)
        return f"<{type(self).__name__} {described} max_age={max_age} {state}>"

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
        self.resolve()
        return self._entry.refresh()

    def invalidate(self) -> None:
        """Forget the cached value; the next call fetches."""
        self._entry.invalidate()

    @property
    def fresh(self) -> bool:
        """Whether a value is cached and younger than its max age (a call would not fetch)."""
        return self._entry.fresh

    @property
    def stats(self) -> CacheStats:
        """Hits, misses, errors, stale answers and throttled requests so far."""
        return self._entry.stats

    @property
    def age(self) -> float | None:
        """Seconds since the value was fetched, or None when nothing is cached."""
        return self._entry.age

    @property
    def resource(self) -> str:
        """What this provider caches, as a user would name it (never its value); resolves."""
        self.resolve()
        return self._describe()

    @property
    def max_age_in_seconds(self) -> float:
        """How old a cached value may be (resolved on first use when given as a provider)."""
        self.resolve()
        return self._entry.max_age

    @property
    def transform(self) -> Any:
        """The `transform=` argument as given: None, "json" or a callable."""
        return self._options["transform"]

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
        """The boto3 client this provider fetches with now; a FetchError when there is none."""
        client = self._client
        try:
            if client is None:
                return default_client(self.service)
            if providers.is_provider(client):
                client = client()
        except LambdaCacheError:
            raise
        except Exception as exc:  # no region, no credentials, a client provider that fails
            raise FetchError(
                f"no {self.service} client for {self.describe()}: "
                f"creating or resolving it raised {type(exc).__name__}"
            ) from exc
        return checked_client(client, self.service)

    def _fetch(self) -> T:
        # The raw value is never bound to a local here: a failing transform's
        # traceback keeps this frame.
        self.resolve()
        return self._transformed(self._fetch_with(self.resolve_client()))  # type: ignore[no-any-return]

    # -- the source protocol: what the edges ask of a provider ------------------

    def batch_key(self) -> Hashable | None:
        """What one `fetch_batch` call asks for on behalf of this provider; None: no batch.

        `prefetch` gathers the keys of the providers of one class that share a
        client and calls `fetch_batch` once with all of them.
        """
        return None

    @classmethod
    def fetch_batch(cls, client: Any, keys: list[Any]) -> BatchAnswer:
        """The raw values of `keys` in one round trip (its calls at once), and each key's error."""
        raise NotImplementedError(f"{cls.__name__} does not batch")

    @classmethod
    def batch_grant(cls, arns: Arns) -> IamGrant | None:
        """What `iam-policy` adds when `prefetch` may batch two or more of these together."""
        return None

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """The IAM actions this provider calls, on the resources it names (resolves first)."""
        return []

    def verify(self) -> None:
        """What `check` does to prove the provider can be resolved: one real fetch."""
        self.refresh()

    @property
    def holds_secret_value(self) -> bool:
        """Whether the value cached now is a secret, or made from a decrypted SecureString."""
        return self.holds_secrets or self.holds_private_value

    def prefill(self, wait: float | None = None) -> None:
        """Fetch now (`prefetch`), unless another process just fetched a fresh shared value.

        A throttled fetch is tried again for at most `wait` seconds (prefetch's own bound).
        """
        self.resolve()
        self._entry.refresh(force=False, wait=wait)

    def store_fetched(self, raw: Any, fetched_at: float) -> None:
        """Cache a raw value fetched by a batch, through this provider's own transform."""
        try:
            value = self._finish(raw)
        except BaseException:
            del raw  # the traceback keeps this frame: leave no value in it
            raise
        self._entry.put(value, fetched_at=fetched_at)

    # -- the shared tier ----------------------------------------------------------

    @property
    def shared(self) -> bool | None:
        """As given: True shares across processes, False never does, None by the auto rule."""
        return self._options["shared"]  # type: ignore[no-any-return]

    def shared_tier(self) -> SharedValue | None:
        """This provider's value in the store the processes share, or None when it does not share.

        The auto rule is read now. The key is computed from the client used now,
        so a provider overridden to another account's client never writes under
        the first account's key.
        """
        if not resolve_shared(self.shared, not self.holds_secrets):
            return None
        self.resolve()
        key = self.share_key(self.resolve_client())
        tier = self._tier
        if tier is None or tier.key != key:
            tier = self._tier = SharedValue(
                SharedStore(),
                key,
                self._fetch_waiting,
                lambda: self.clock,
                self.max_age_in_seconds,
                what=self._describe(),
                private=None if self.shared else self.private_value,
                accepts=self.raw_value_ok,
            )
        return tier

    def share_key(self, client: Any) -> str:
        """What names this value across processes: kind, endpoint, identity, arguments.

        The transform is left out: the store holds raw values, transformed in each
        process. Two accounts (or roles) can hold the same name, so whom the
        client signs as is in the key.
        """
        arguments = {
            key: value
            for key, value in self._arguments().items()
            if value is None or isinstance(value, (str, bool, int, float))
        }
        where = json.loads(client_origin(client))  # region, endpoint, identity
        return json.dumps(
            [type(self).__name__, where, self._describe(), self._share_keys(), arguments]
        )

    def _share_keys(self) -> list[str] | None:
        """The result keys of a group, part of the shared key since the stored dict uses them."""
        return None

    def _load(self, force: bool) -> tuple[Any, float]:
        """The entry's source: a raw value from AWS or from the shared tier, then finished."""
        tier = self.shared_tier()
        if tier is None:
            began = self.clock()
            raw = self._fetch_waiting()
        else:
            raw, began = tier.load(force)
        try:
            return self._finish(raw), began
        except BaseException:
            del raw  # the traceback keeps this frame: leave no value in it
            raise

    def _forget(self, before: float) -> None:
        """Drop the shared copy too; a provider never resolved has fetched nothing to drop."""
        if self._pending:
            return
        # Nothing shared can be forgotten in a folder that is refused or locked up.
        with suppress(LambdaCacheError, OSError):
            tier = self.shared_tier()
            if tier is not None:
                tier.forget(before)

    def _fetch_waiting(self) -> Any:
        """The raw value, tried again while throttled when the entry's fetch may wait.

        Called inside the shared tier's key lock, so the processes of an
        environment wait for one fetch rather than each spending the quota.
        """
        return self._entry.fetch_waiting(self._fetch_raw)

    def _fetch_raw(self) -> Any:
        """The value as fetched, before any transform: what the shared tier stores."""
        self.resolve()
        return self._fetch_with(self.resolve_client())

    def _finish(self, raw: Any) -> T:
        """What this provider caches and returns, made from a raw value (fetched or shared)."""
        self._holds_private = self.private_value(raw)
        try:
            return self._transformed(raw)  # type: ignore[no-any-return]
        except BaseException:
            del raw  # the traceback keeps this frame: leave no value in it
            raise

    def private_value(self, raw: Any) -> bool:
        """Whether `shared=None` must keep this raw value off the disk (say, a SecureString)."""
        return False

    def raw_value_ok(self, raw: Any) -> bool:
        """Whether `raw` is of what this kind fetches: a shared record holding else is absent."""
        return True

    @property
    def holds_private_value(self) -> bool:
        """Whether the value cached now was made from a private one (a decrypted SecureString)."""
        return self._holds_private and self._entry.age is not None

    def _transformed(self, raw: Any) -> Any:
        """The one place a fetched value becomes what is cached (prefetch uses it too)."""
        function = self._transform
        if function is None:
            return raw
        result: dict[str, Any] = {}
        try:
            if not self.per_value:
                return transformed(function, raw, f"{self.noun} {self._describe()}")
            for key in raw:
                result[key] = transformed(function, raw[key], self._member(key))
        except TransformError:
            del raw, result  # the traceback keeps this frame: leave no value in it
            raise
        return result


def _number(value: Any) -> Any:
    """A number read as text (an environment variable, say `config.ttl.from_env("TTL")`)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value  # refused by the check, which names the argument
    return value
