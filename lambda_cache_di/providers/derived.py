"""Derived: one object built from other providers' values, rebuilt only when one of them changes.

A `Singleton` built from a `Secret` keeps the first value forever; a `Factory`
builds anew on every call. `Derived` keeps its object while every argument
value equals the one it was built from, and rebuilds (then closes the old
object) when one changes: a rotated secret, a new download of an S3 file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from dependency_injector import providers

from ..errors import ConfigurationError
from .refresh import RefreshPolicy, SecretSource, Tries, as_policy, secret_sources
from .secrets import Secret
from .stamps import CHANGED, EQUAL, SAME, Built, compare, stamp, stamps_of

T = TypeVar("T")

logger = logging.getLogger(__name__)


class Derived(providers.Provider[T], Generic[T]):
    """`factory(*args, **kwargs)` with the arguments resolved, kept until an argument changes.

    Arguments may be providers (cached or not) or plain values, as for
    `providers.Factory`. Each call resolves the providers among them and
    compares each value with the one the object was built from: `is`, then
    `==` for values of the same type. A `pathlib` path also compares the file
    behind it (device, inode, size, modification and change times), because an
    `S3File` returns the same path after each new download. When a value
    differs, one thread builds the new object while the others wait for it;
    then `close(old)` is called if given. An error in `close` is logged (its
    type only) and the new object is returned all the same. An error in
    `factory` propagates and keeps nothing.

    Args:
        factory: the callable that builds the object.
        *args: its positional arguments: providers or plain values.
        close: called with the old object after a rebuild, if given.
        **kwargs: its keyword arguments: providers or plain values.
        refresh_on: an exception type, a tuple of them, or a `RefreshPolicy`: when
            `factory` raises one, the secrets among the arguments are fetched again
            and the build is tried again within a bounded wait (see `refresh_on`).
    """

    __slots__ = (
        "_accepted",
        "_args",
        "_builder",
        "_close",
        "_factory",
        "_first",
        "_kwargs",
        "_lock",
        "_policy",
        "_provide",
        "_refreshers",
        "_sources",
        "_state",
    )

    def __init__(
        self,
        factory: Callable[..., T],
        /,
        *args: Any,
        close: Callable[[T], Any] | None = None,
        refresh_on: type[BaseException] | tuple[type[BaseException], ...] | RefreshPolicy = (),
        **kwargs: Any,
    ) -> None:
        if not callable(factory):
            raise ConfigurationError(f"factory must be callable, not {type(factory).__name__}")
        if close is not None and not callable(close):
            raise ConfigurationError(f"close must be callable or None, not {type(close).__name__}")
        self._factory = factory
        self._args = args
        self._kwargs = kwargs
        self._close = close
        self._policy = as_policy(refresh_on)
        # The secrets behind the arguments, found on the first refusal (see _secret_refreshers).
        self._refreshers: tuple[list[SecretSource | None], list[SecretSource]] | None = None
        # The values an object was built from when they differ from what the providers
        # return (AWSPENDING during a rotation): when the providers catch up, it is kept.
        self._accepted: tuple[Any, ...] | None = None
        # Each distinct provider among the arguments, resolved once per call.
        distinct = {id(value): value for value in (*args, *kwargs.values()) if _is_provider(value)}
        self._sources: tuple[Any, ...] = tuple(distinct.values())
        self._first: Any = self._sources[0] if len(self._sources) == 1 else None
        self._lock = threading.Lock()
        self._builder: int | None = None
        self._state: Built[T] | None = None
        # dependency-injector calls `self._provide(args, kwargs)`: one argument, one fast path.
        self._provide = self._provide_one if self._first is not None else self._provide_any
        super().__init__()

    # -- providing ----------------------------------------------------------

    def _provide_one(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        """The path of a Derived with one provider argument: identity, then the file if a path."""
        if args or kwargs:
            raise _call_arguments()
        value = self._first()
        state = self._state
        if (
            state is not None
            and value is state.first
            and (state.stamps is None or stamp(value) == state.stamps[0])
        ):
            return state.obj
        # The other paths resolve again: no value may stay in this frame's locals.
        del value
        if state is None:
            return self._rebuild()
        del state
        return self._provide_any(args, kwargs)

    def _provide_any(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        if args or kwargs:
            raise _call_arguments()
        state = self._state
        if state is None:
            return self._rebuild()
        values = tuple([source() for source in self._sources])
        outcome = compare(state, values)
        if outcome == SAME:
            return state.obj
        if outcome == EQUAL:
            return self._adopt(state, values)
        del values, state
        return self._rebuild()

    def _adopt(self, state: Built[T], values: tuple[Any, ...]) -> T:
        """Keep the object for equal new values, so later calls compare by identity."""
        with self._lock:
            if self._state is state:
                self._state = Built(state.obj, values, state.stamps)
        return state.obj

    def _rebuild(self, policy: RefreshPolicy | None = None, wait: float | None = None) -> T:
        """Build for the values now, unless another thread did; with `policy`, build anew anyway."""
        if self._builder == threading.get_ident():
            raise RuntimeError(f"the factory of {self!r} calls that same Derived")
        with self._lock:
            values = self._resolve()
            # Files are read before the factory reads them: a later change rebuilds again.
            stamps = stamps_of(values)
            old = self._state
            if policy is None and old is not None and self._kept_for(old, values):
                # Another thread built for these values while this one waited.
                self._state = Built(old.obj, values, old.stamps)
                return old.obj
            self._builder = threading.get_ident()
            try:
                built, tries = self._build_or_retry(values, policy or self._policy, wait)
            except BaseException:
                # Error reporters record frame locals: keep argument values out of them.
                del values, old
                raise
            finally:
                self._builder = None
            if tries is None:
                self._state, self._accepted = Built(built, values, stamps), None
            else:
                self._state = Built(built, tries.current, stamps_of(tries.current))
                self._accepted = None if tries.values is tries.current else tries.values
        if old is not None and old.obj is not built:
            self._close_quietly(old.obj)
        return built

    def _kept_for(self, old: Built[T], values: tuple[Any, ...]) -> bool:
        """Whether the object in hand serves `values`: built from them, or from what they became."""
        if compare(old, values) != CHANGED:
            return True
        accepted = self._accepted
        if accepted is None:
            return False
        if compare(Built(old.obj, accepted, old.stamps), values) != CHANGED:
            self._accepted = None  # AWSCURRENT now holds the value the object was built from
            return True
        return False

    def _resolve(self) -> tuple[Any, ...]:
        return tuple([source() for source in self._sources])

    def _build_or_retry(
        self, values: tuple[Any, ...], policy: RefreshPolicy, wait: float | None
    ) -> tuple[T, Tries | None]:
        """Build; after an error `policy` names, refresh the secrets and try within the wait."""
        try:
            return self._build(values), None
        except policy.exceptions as error:
            first = last = error
        except BaseException:
            del values  # error reporters record frame locals
            raise
        direct, sources = self._secret_refreshers()
        tries = Tries(self._resolve, direct, sources, values)
        del values
        for delay in policy.delays(wait):
            tries.advance()
            try:
                return self._build(tries.values), tries
            except policy.exceptions as error:
                last = error
                tries.refused()
            policy.sleep(delay)
        if last is first:
            raise first
        raise first from last

    def _secret_refreshers(self) -> tuple[list[SecretSource | None], list[SecretSource]]:
        """For each argument its SecretSource when it is a Secret; every secret behind them."""
        if self._refreshers is None:
            sources = [s for arg in self._sources for s in secret_sources(arg, self._policy)]
            unique = list({id(source.provider): source for source in sources}.values())
            by_provider = {id(source.provider): source for source in unique}
            direct = [
                by_provider.get(id(arg)) if isinstance(arg, Secret) else None
                for arg in self._sources
            ]
            self._refreshers = (direct, unique)
        return self._refreshers

    def _build(self, values: tuple[Any, ...]) -> T:
        by_id = {id(source): value for source, value in zip(self._sources, values, strict=True)}
        try:
            return self._factory(
                *[by_id[id(a)] if _is_provider(a) else a for a in self._args],
                **{k: by_id[id(v)] if _is_provider(v) else v for k, v in self._kwargs.items()},
            )
        except BaseException:
            del by_id, values
            raise

    def _close_quietly(self, old: T) -> None:
        if self._close is None:
            return
        try:
            self._close(old)
        except Exception as exc:
            # The type only: a message or repr may carry the object's credentials.
            logger.warning("%r: close() of the old object raised %s", self, type(exc).__name__)

    # -- control ------------------------------------------------------------

    def rebuild(
        self,
        refresh_on: type[BaseException] | tuple[type[BaseException], ...] | RefreshPolicy = (),
        wait_in_seconds: float | None = None,
    ) -> T:
        """Build a new object now, even for unchanged values (the old one broke); close the old.

        `refresh_on` (default: this Derived's own) names the build errors after
        which its secrets are refreshed and the build tried again, for at most
        `wait_in_seconds` (default: the policy's).
        """
        policy = as_policy(refresh_on) if refresh_on != () else self._policy
        return self._rebuild(policy, wait_in_seconds)

    def reset(self) -> None:
        """Forget the object (closing it); the next call builds a new one."""
        with self._lock:
            old, self._state = self._state, None
        if old is not None:
            self._close_quietly(old.obj)

    @property
    def built(self) -> bool:
        """Whether an object is held now."""
        return self._state is not None

    @property
    def factory(self) -> Callable[..., T]:
        """The callable that builds the object."""
        return self._factory

    @property
    def args(self) -> tuple[Any, ...]:
        """The positional arguments given for the factory, providers among them unresolved."""
        return self._args

    @property
    def kwargs(self) -> dict[str, Any]:
        """A copy of the keyword arguments given for the factory, providers unresolved."""
        return dict(self._kwargs)

    # -- dependency-injector protocol ---------------------------------------

    @property
    def related(self) -> Iterator[providers.Provider[Any]]:
        """The providers this one depends on (a provider factory, provider arguments, overrides)."""
        if _is_provider(self._factory):
            yield self._factory  # type: ignore[misc]
        yield from self._sources
        yield from super().related

    def __deepcopy__(self, memo: dict[Any, Any] | None = None) -> Derived[T]:
        memo = {} if memo is None else memo
        copied = memo.get(id(self))
        if copied is not None:
            return copied  # type: ignore[no-any-return]

        def copy(value: Any) -> Any:
            return providers.deepcopy(value, memo) if _is_provider(value) else value

        copied = type(self)(
            copy(self._factory),
            *[copy(value) for value in self._args],
            close=self._close,
            refresh_on=self._policy,
            **{key: copy(value) for key, value in self._kwargs.items()},
        )
        memo[id(self)] = copied
        self._copy_overridings(copied, memo)
        return copied

    def __copy__(self) -> Derived[T]:
        """A cold copy sharing the argument providers and the overridings."""
        copied = type(self)(
            self._factory, *self._args, close=self._close, refresh_on=self._policy, **self._kwargs
        )
        for overriding in self.overridden:
            copied.override(overriding)
        return copied

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles the definition, never the object or the values: the copy starts cold.
        return (_restore, (self._factory, self._args, self._close, self._kwargs, self._policy))

    def __repr__(self) -> str:
        name = getattr(self._factory, "__qualname__", type(self._factory).__name__)
        state = "built" if self._state is not None else "not built"
        if self.last_overriding is not None:
            state += ", overridden"
        return f"<Derived {name} {state}>"

    __str__ = __repr__


def _restore(
    factory: Callable[..., Any],
    args: tuple[Any, ...],
    close: Callable[[Any], Any] | None,
    kwargs: dict[str, Any],
    policy: RefreshPolicy | None = None,
) -> Derived[Any]:
    return Derived(factory, *args, close=close, refresh_on=policy or (), **kwargs)


def _is_provider(value: object) -> bool:
    return bool(providers.is_provider(value))


def _call_arguments() -> TypeError:
    return TypeError("Derived takes its arguments when it is defined; call it with none")
