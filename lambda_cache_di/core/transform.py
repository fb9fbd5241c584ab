"""Transforms: what a cached provider does to each fetched value before caching it.

Standard library only. `"json"` parses the text; any callable is called with
the value. A transform that raises gives a TransformError that holds no value:
not in its message, not in its arguments, not in a chained exception, and not in
the locals of the frame that raises it (error reporters record frame locals).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError, TransformError

Transform = Callable[[Any], Any]
JSON = "json"


def check_transform(transform: object, *, json_allowed: bool) -> Transform | None:
    """The function a `transform=` argument stands for: None, `"json"` or a callable."""
    if transform is None:
        return None
    if transform == JSON and json_allowed:
        return json.loads
    if callable(transform) and not isinstance(transform, str):
        return transform
    allowed = "None, 'json' or a callable" if json_allowed else "None or a callable"
    raise ConfigurationError(f"transform must be {allowed}, not {transform!r}")


def transformed(function: Transform, value: Any, resource: str) -> Any:
    """`function(value)`; a failure raises TransformError naming the resource, never the value."""
    try:
        return function(value)
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON: line {exc.lineno} column {exc.colno}"
    except UnicodeDecodeError as exc:
        problem = f"is not valid JSON: byte {exc.start} is not valid {exc.encoding}"
    except KeyboardInterrupt:
        raise  # the user stopping the process is not the transform failing
    except BaseException as exc:  # SystemExit(value) too: it would carry the value up
        problem = _failed(function, exc)
    # Raised outside the except block so that neither __cause__ nor __context__
    # holds the failure (a parser's `.doc`, a validator's input); `value` is
    # dropped so that this frame, which the traceback keeps, holds nothing either.
    del value
    raise TransformError(f"{resource} {problem}") from None


def _failed(function: Transform, exc: BaseException) -> str:
    if function is json.loads:
        if isinstance(exc, RecursionError):
            return "is not valid JSON: nested too deep"
        if isinstance(exc, ValueError):  # past `sys.get_int_max_str_digits()`
            return "is not valid JSON: an integer has too many digits"
        return "is not JSON text"
    name = getattr(function, "__name__", None) or type(function).__name__
    return f"failed to transform: {name} raised {type(exc).__name__}"
