"""Finding every cached provider in a container graph, and acting on all of them.

`cached_providers` is what `prefetch`, `snapstart`, `invalidate_all` (and so
the pytest plugin) and the tools walk; `derived_providers` is what the
SnapStart hooks reset. dependency-injector's `traverse()` decides which
providers are reached; the walk here only gives each one a readable path.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from dependency_injector import containers

from ..core.cache import Clock
from .base import CachedProvider
from .derived import Derived

P = TypeVar("P")
logger = logging.getLogger(__name__)


def cached_providers(container: Any) -> Iterator[tuple[str, CachedProvider[Any]]]:
    """Every cached provider of a container (class or instance) at any depth, each once.

    Which providers count is dependency-injector's `container.traverse()`: it
    follows every provider's `related`, so cached providers in nested
    containers, selectors, the arguments of factories, singletons, callables,
    resources, `Derived`, and overriding providers are all found. Each is named
    by its shortest path from the container, in definition order:
    `aws.ssm` (attribute of a nested container), `db.prod` (a Selector key),
    `service.password` (a keyword argument), `service[0]` (a positional argument),
    `x.overrides[0]` (a provider overriding `x`).
    """
    found = set(container.traverse(types=(CachedProvider,)))
    if not found:
        return
    queue = deque(container.providers.items())
    seen: set[int] = set()
    while queue and found:
        name, provider = queue.popleft()
        if id(provider) in seen:
            continue
        seen.add(id(provider))
        if provider in found:
            found.discard(provider)
            yield name, provider
        queue.extend(_labelled_related(name, provider))
    # Reached by traverse() through a link this naming does not know: still listed.
    for provider in found:
        yield f"<{type(provider).__name__} {provider.describe()}>", provider


def _declared(provider: Any, attribute: str) -> Any:
    """`provider.<attribute>` when its class defines it: Configuration makes up any attribute."""
    return getattr(provider, attribute) if hasattr(type(provider), attribute) else None


def _labelled_related(name: str, provider: Any) -> list[tuple[str, Any]]:
    """The providers `provider.related` yields, each with the path that names it."""
    labels: dict[int, str] = {}
    for index, overriding in enumerate(_declared(provider, "overridden") or ()):
        labels.setdefault(id(overriding), f"{name}.overrides[{index}]")
    # Containers, selectors and aggregates name their providers; calls name their arguments.
    for attribute in ("providers", "kwargs", "attributes"):
        mapping = _declared(provider, attribute)
        if isinstance(mapping, Mapping):
            for key, child in mapping.items():
                labels.setdefault(id(child), f"{name}.{key}")
    args = _declared(provider, "args")
    if isinstance(args, tuple):
        for index, child in enumerate(args):
            labels.setdefault(id(child), f"{name}[{index}]")
    return [
        (labels.get(id(child), f"{name}.<{type(child).__name__}>"), child)
        for child in provider.related
    ]


def invalidate_all(container: containers.Container) -> dict[str, Exception]:
    """Forget every cached value in a container instance; return the failures by provider.

    One provider's failure never stops the others: each is logged (by type,
    never a value) and returned, and every other provider is still invalidated.
    """
    return each_provider(cached_providers(container), _invalidate, "invalidate_all")


def _invalidate(provider: CachedProvider[Any]) -> None:
    provider.invalidate()


def each_provider(
    named: Iterable[tuple[str, P]], action: Callable[[P], object], what: str
) -> dict[str, Exception]:
    """Run `action` on every provider, whatever any one raises; the failures by name.

    A failure is logged with its type only: its message may quote what failed on.
    """
    failures: dict[str, Exception] = {}
    for name, provider in named:
        try:
            action(provider)
        except Exception as exc:  # one provider must not stop the hooks part-way
            failures[name] = exc
            logger.warning("%s: %s failed (%s)", what, name, type(exc).__name__)
    return failures


def set_clock(container: containers.Container, clock: Clock) -> None:
    """Age every cached provider of a container by `clock` (tests and the demo)."""
    for _, provider in cached_providers(container):
        provider.clock = clock


def derived_providers(container: Any) -> list[Derived[Any]]:
    """Every `Derived` provider of a container at any depth, each once."""
    return list(container.traverse(types=(Derived,)))
