"""Find the container a command line names as `MODULE:CONTAINER` (for the CLI tools)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from dependency_injector import containers, providers

from ..errors import LambdaCacheError


class TargetError(ValueError):
    """Raised when `MODULE:CONTAINER` cannot be imported or names no container."""


def load_container(spec: str, *, app_dir: str | None = None) -> Any:
    """The DeclarativeContainer class or container instance that `spec` names.

    `spec` is `package.module:Attribute`, where the attribute may be dotted
    (`module:Outer.Inner`). `app_dir`, when given, is put first on `sys.path`,
    as Lambda does with the task root.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise TargetError(
            f"{spec!r} is not MODULE:CONTAINER "
            "(for example lambda_cache_di.tools.demo_app.orders_container:AppContainer)"
        )
    if app_dir is not None and app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(f"cannot import module {module_name!r}: {exc}") from exc
    except LambdaCacheError as exc:
        raise TargetError(f"module {module_name!r} failed to load: {exc}") from exc
    except Exception as exc:
        # Only the type: a foreign message might quote a value the module read.
        raise TargetError(
            f"module {module_name!r} raised {type(exc).__name__} on import; "
            f"run `python -c 'import {module_name}'` to see why"
        ) from exc
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise TargetError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not containers.is_container(target):
        raise TargetError(
            f"{spec} is a {type(target).__name__}, not a dependency-injector container"
        )
    return target


def fresh_instance(container: Any) -> containers.DynamicContainer:
    """A new container holding copies of `container`'s providers, overridings included.

    Unlike instantiating a DeclarativeContainer class, this wires nothing, so
    no handler module is imported (and none of its import-time side effects run).
    """
    copied = providers.deepcopy(dict(container.providers))
    instance = containers.DynamicContainer()
    instance.set_providers(**copied)
    return instance
