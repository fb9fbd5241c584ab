"""Lambda SnapStart runtime hooks: keep secrets out of the snapshot, refetch after a restore.

Lambda's Python runtimes ship `snapshot_restore_py`; elsewhere (tests, other
hosts) it is missing and nothing is registered.
"""

from __future__ import annotations

import importlib
from typing import Any

from .providers.base import cached_providers, invalidate_all
from .providers.secrets import Secret, Secrets
from .providers.ssm import SSMParameter, SSMParameters, SSMParametersByPath

HOOKS_MODULE = "snapshot_restore_py"
_PARAMETER_TYPES = (SSMParameter, SSMParameters, SSMParametersByPath)


def register_snapstart_hooks(container: Any, *, drop_parameters: bool = False) -> bool:
    """Register SnapStart hooks for `container`; False when `snapshot_restore_py` is missing.

    Before the snapshot, every `Secret` and `Secrets` provider forgets its value,
    so no secret is written into the snapshot (with `drop_parameters=True`, the
    SSM providers too, for SecureString parameters). After a restore, every
    cached provider forgets its value: the snapshot may be days old, so each
    value is fetched again on first use.
    """
    try:
        hooks = importlib.import_module(HOOKS_MODULE)
    except ImportError:
        return False

    def before_snapshot() -> None:
        drop_secrets(container, drop_parameters=drop_parameters)

    def after_restore() -> None:
        invalidate_all(container)

    hooks.register_before_snapshot(before_snapshot)
    hooks.register_after_restore(after_restore)
    return True


def drop_secrets(container: Any, *, drop_parameters: bool = False) -> None:
    """Forget the value of every Secret and Secrets provider (and SSM ones if asked)."""
    kinds: tuple[type, ...] = (Secret, Secrets)
    if drop_parameters:
        kinds += _PARAMETER_TYPES
    for _, provider in cached_providers(container):
        if isinstance(provider, kinds):
            provider.invalidate()
