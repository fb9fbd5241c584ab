"""Lambda SnapStart: no secret in the snapshot, fresh values and connections after a restore.

During a SnapStart init (`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`),
`prefetch` fetches no secret and decrypts no SecureString, so none of them is
ever in the memory that the snapshot copies. The hooks registered here then:

- before the snapshot: forget every Secret and Secrets value and every
  decrypted SecureString (and, with `drop_parameters=True`, every SSM value)
  that the application may have read
  at init on its own, close every object a `Derived` built (it may hold a
  secret, or a connection), and close the library's connections;
- after a restore: close the connections opened before the snapshot, forget
  every value and every `Derived` object, and prefetch the container again:
  one batched, parallel round, secrets included (`prefetch_after_restore=False`
  leaves that to first use).

Forgetting a value does not scrub the memory it held: only a secret that was
never fetched before the snapshot is surely absent from it. Lambda's Python
runtime client ships the `snapshot_restore_py` module these hooks use.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from .core.environment import in_snapstart_init, mark_restored
from .fetchers.clients import drop_connections
from .prefetch import prefetch
from .providers.base import CachedProvider
from .providers.discovery import (
    cached_providers,
    derived_providers,
    each_provider,
    invalidate_all,
)

HOOKS_MODULE = "snapshot_restore_py"
# Set on a container instance once its hooks are registered, so a second call adds none.
_REGISTERED = "_lambda_cache_di_snapstart_hooks"

logger = logging.getLogger(__name__)


def register_snapstart_hooks(
    container: Any, *, drop_parameters: bool = False, prefetch_after_restore: bool = True
) -> bool:
    """Register the SnapStart hooks for `container`; True only when the runtime will call them.

    That is during a SnapStart init, with the runtime's `snapshot_restore_py`
    importable. Anywhere else (an on-demand init, tests, another host) nothing
    is registered and the result is False. A container's hooks are registered
    once, however often this is called; later calls return True again.
    """
    if not in_snapstart_init():
        return False
    try:
        hooks = importlib.import_module(HOOKS_MODULE)
    except ImportError:
        return False
    if getattr(container, _REGISTERED, False):
        return True

    def before_snapshot() -> None:
        drop_secrets(container, drop_parameters=drop_parameters)
        reset_derived(container)
        _drop_connections_quietly(container)

    def after_restore() -> None:
        restore(container, prefetch_again=prefetch_after_restore)

    hooks.register_before_snapshot(before_snapshot)
    hooks.register_after_restore(after_restore)
    setattr(container, _REGISTERED, True)
    return True


def restore(container: Any, *, prefetch_again: bool = True) -> dict[str, BaseException]:
    """What the after-restore hook does; returns the failures of the new prefetch round.

    The process is marked as restored first, so that this `prefetch` fetches
    secrets and decrypts SecureStrings again. A provider that fails to be
    invalidated or reset is logged and skipped: every other one is still
    handled, and the prefetch round still runs.
    """
    mark_restored()
    _drop_connections_quietly(container)
    invalidate_all(container)
    # Built before the snapshot: equal arguments must not bring back its connections.
    reset_derived(container)
    return prefetch(container) if prefetch_again else {}


def drop_secrets(container: Any, *, drop_parameters: bool = False) -> dict[str, Exception]:
    """Forget every secret and decrypted SecureString value (every value but files if asked).

    Returns the providers that failed, by name; each failure is logged by type
    and never stops the others.
    """

    def drop(provider: CachedProvider[Any]) -> None:
        if provider.holds_secret_value or (drop_parameters and not provider.keeps_file):
            provider.invalidate()

    return each_provider(cached_providers(container), drop, "snapstart: dropping a value")


def reset_derived(container: Any) -> dict[str, Exception]:
    """Close and forget the object of every `Derived` provider; the failures, by provider."""
    named = ((f"<Derived {index}>", p) for index, p in enumerate(derived_providers(container)))
    return each_provider(named, lambda provider: provider.reset(), "snapstart: resetting")


def _drop_connections_quietly(container: Any) -> None:
    """Close the library's connections; a client whose close fails is no reason to stop."""
    try:
        drop_connections(resolved_clients(container))
    except Exception as exc:
        logger.warning("snapstart: closing connections failed (%s)", type(exc).__name__)


def resolved_clients(container: Any) -> list[Any]:
    """The clients the container's cached providers were given (the default ones aside)."""
    clients = []
    for name, provider in cached_providers(container):
        if provider.client is None:
            continue
        try:
            clients.append(provider.resolve_client())
        except Exception as exc:  # a hook that raises would fail the restore itself
            logger.warning("snapstart: no client for %s (%s)", name, type(exc).__name__)
    return clients
