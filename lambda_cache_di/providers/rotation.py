"""`refresh_on`: call a handler again, with fresh secrets and rebuilt objects, after a refusal.

The decorator takes the container class's providers, as `Provide[...]` does.
Which container instance they mean is known only once a module is wired, so
the decorator asks dependency-injector itself: it registers a small `@inject`
function in the handler's module whose parameters are `Provider[...]` markers,
and `container.wire()` binds them to that instance's providers, as it binds
the handler's own markers.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, TypeVar, cast

from dependency_injector import providers
from dependency_injector.wiring import Closing, Provide, Provider, inject

from ..errors import ConfigurationError, LambdaCacheError
from .derived import Derived
from .refresh import RefreshPolicy, SecretSource, check_exceptions, secret_sources
from .secrets import Secret

F = TypeVar("F", bound=Callable[..., Any])


_NOTHING = object()
# The markers' classes, typed as classes (their stubs type them as markers).
_MARKERS = cast(tuple[type, ...], (Provide, Provider, Closing))


def refresh_on(
    exceptions: type[BaseException] | tuple[type[BaseException], ...],
    *given: Any,
    **options: Any,
) -> Callable[[F], F]:
    """Call the function again when it raises one of `exceptions`, after refreshing `given`.

    `given` are providers: the container class's (`Database.connection`, as
    in `Provide[...]`), or a container instance's. Before each new try, every
    `Derived` among them is built anew (the old object closed) with its
    secrets refreshed as its own `refresh_on` says, and every `Secret` or
    `Secrets` among them, or behind them, is fetched again (at most once per
    `min_refresh_interval_in_seconds`). Tries go on, with jittered delays,
    for at most `wait_in_seconds`; then the first error is raised, chained to
    the last. `options` are RefreshPolicy's keyword arguments. Place it above
    `@inject`: the injected arguments are then injected again for each try.
    """
    policy = RefreshPolicy(check_exceptions(exceptions, "exceptions"), **options)
    for provider in given:
        if not isinstance(provider, (str, providers.Provider)):
            raise ConfigurationError(
                f"refresh_on takes providers to refresh, not {type(provider).__name__}"
            )

    def decorate(function: F) -> F:
        return cast(F, _Retrying(function, policy, given).wrapper)

    return decorate


class _Retrying:
    """The state of one decorated function: its policy, its providers, their refreshers."""

    def __init__(self, function: Callable[..., Any], policy: RefreshPolicy, given: Any) -> None:
        self.function = function
        self.policy = policy
        self.given = given
        self.injected = _injected_names(function)
        self.resolve = _wired_resolver(function, given)
        self.refreshers: dict[int, tuple[Any, list[SecretSource]]] = {}
        self.wrapper = self._wrap(function)

    def _wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        call_with_refresh: Callable[..., Any]
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def call_with_refresh(*args: Any, **kwargs: Any) -> Any:
                return await self.call_async(args, kwargs)

        else:

            @functools.wraps(function)
            def call_with_refresh(*args: Any, **kwargs: Any) -> Any:
                return self.call(args, kwargs)

        if self.injected and hasattr(function, "__wrapped__"):
            # `function` injects by itself (an @inject below): hide its markers, so that
            # wiring does not inject once more above this decorator (see module docstring).
            signature = inspect.signature(function)
            kept = [p for p in signature.parameters.values() if p.name not in self.injected]
            call_with_refresh.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
        return call_with_refresh

    def call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return self.function(*args, **kwargs)
        except self.policy.exceptions as error:
            first = last = error
        fresh = self._fresh(kwargs)
        started, refused = self.policy.clock(), _Refused()
        for delay in self.policy.delays():
            try:
                with self.renew(self._left(started), refused):
                    return self.function(*args, **fresh)
            except self.policy.exceptions as error:
                last = error
            self.policy.sleep(delay)
        if last is first:
            raise first
        raise first from last

    async def call_async(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """As `call`, for a coroutine function (a FastAPI route, say); waits without blocking."""
        try:
            return await self.function(*args, **kwargs)
        except self.policy.exceptions as error:
            first = last = error
        fresh = self._fresh(kwargs)
        started, refused = self.policy.clock(), _Refused()
        for delay in self.policy.delays():
            try:
                with self.renew(self._left(started), refused):
                    return await self.function(*args, **fresh)
            except self.policy.exceptions as error:
                last = error
            if self.policy.sleep is time.sleep:
                await asyncio.sleep(delay)
            else:
                self.policy.sleep(delay)
        if last is first:
            raise first
        raise first from last

    def _fresh(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Without arguments injected above this decorator (stale ones): @inject redoes them."""
        return {key: value for key, value in kwargs.items() if key not in self.injected}

    def _left(self, started: float) -> float:
        return max(self.policy.wait - (self.policy.clock() - started), 0.0)

    def renew(self, wait: float, refused: _Refused) -> ExitStack:
        """Rebuild the Derived objects and refresh the secrets given, as wired now.

        A Secret given whose refreshed value is still the refused one is
        overridden with its AWSPENDING version for the next try (the window
        of a single-user rotation); the returned stack removes the override.
        """
        stack = ExitStack()
        for provider in self.resolve():
            if isinstance(provider, Derived):
                provider.rebuild(self.policy, wait_in_seconds=wait)
            sources = self._refreshers(provider)
            direct = isinstance(provider, Secret) and refused.remember(provider)
            for source in sources:
                source.refresh()
            if direct and refused.unchanged(provider):
                found, value = sources[0].pending()
                if found and not refused.unchanged(provider, value):
                    stack.enter_context(provider.override(value))
        return stack

    def _refreshers(self, provider: Any) -> list[SecretSource]:
        """The secrets to fetch again for `provider`; a Derived refreshes its own when refused."""
        held = self.refreshers.get(id(provider))
        if held is None or held[0] is not provider:
            sources = [] if isinstance(provider, Derived) else secret_sources(provider, self.policy)
            held = self.refreshers[id(provider)] = (provider, sources)
        return held[1]


class _Refused:
    """The values of the Secrets given as they were when the call failed (kept out of locals)."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[int, tuple[Any, Any]] = {}

    def remember(self, provider: Any) -> bool:
        """Keep the value in hand at the first retry; False when it cannot be read."""
        if id(provider) not in self._values:
            try:
                self._values[id(provider)] = (provider, provider())
            except LambdaCacheError:
                return False
        return True

    def unchanged(self, provider: Any, value: Any = _NOTHING) -> bool:
        """Whether `value` (by default, the provider's value now) is the refused one."""
        held = self._values.get(id(provider))
        if held is None or held[0] is not provider:
            return False
        try:
            return bool((provider() if value is _NOTHING else value) == held[1])
        except Exception:
            return False

    def __repr__(self) -> str:
        return "<the refused values>"


def _injected_names(function: Callable[..., Any]) -> set[str]:
    """The parameters that dependency-injector markers fill in."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in parameters if _is_marker(p.default) or _annotated(p)}


def _is_marker(default: Any) -> bool:
    # FastAPI's Depends(Provide[...]) holds the marker as its dependency.
    return isinstance(default, _MARKERS) or isinstance(
        getattr(default, "dependency", None), _MARKERS
    )


def _annotated(parameter: inspect.Parameter) -> bool:
    metadata = getattr(parameter.annotation, "__metadata__", ())
    return any(isinstance(item, _MARKERS) for item in metadata)


def _wired_resolver(function: Callable[..., Any], given: Any) -> Callable[[], list[Any]]:
    """A function returning the providers `given` stand for where the module is wired."""
    if not given:
        return list

    def resolve(**wired: Any) -> list[Any]:
        if len(wired) == len(given):
            return [wired[f"p{index}"] for index in range(len(given))]
        # Not wired (or a provider this container lacks): the providers as given.
        return [wired.get(f"p{index}", provider) for index, provider in enumerate(given)]

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(f"p{index}", inspect.Parameter.KEYWORD_ONLY, default=Provider[p])
            for index, p in enumerate(given)
        ]
    )
    # Wiring binds the @inject functions of the modules it wires, found by `__module__`.
    resolve.__module__ = function.__module__
    resolve.__qualname__ = f"{getattr(function, '__qualname__', 'function')}.<refresh_on>"
    return cast(Callable[[], list[Any]], inject(resolve))
