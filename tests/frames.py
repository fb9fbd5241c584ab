"""A search for secret values in what an error keeps alive: its chain and its frames' locals.

Error reporters (Sentry, Rollbar, Lambda's own runtime in some modes) record
the local variables of every frame of a traceback, so a value left in a local
is as leaked as one in a message. Frames of the tests themselves are left out:
the test that catches an error holds the values it stored on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

TESTS = str(Path(__file__).resolve().parent)
# Objects of these packages hold cached values by design (a provider, its cache entry):
# a frame that has `self` pointing at one is not a leak.
_HOLDERS = ("lambda_cache_di.", "dependency_injector.")
_DEPTH = 4


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception behind it, by `__cause__` and `__context__`."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def traceback_frames(error: BaseException) -> Iterator[FrameType]:
    """Every frame of the tracebacks of `error` and of the exceptions chained to it."""
    for exc in exception_chain(error):
        tb = exc.__traceback__
        while tb is not None:
            yield tb.tb_frame
            tb = tb.tb_next


def frames_holding(error: BaseException, markers: list[str]) -> list[str]:
    """Where a marker sits in the chain of `error`: "<exception>: <function>() <variable>"."""
    found = []
    for exc in exception_chain(error):
        if _holds(exc.args, markers, _DEPTH, set()):
            found.append(f"{type(exc).__name__}: args")
    for frame in traceback_frames(error):
        if frame.f_code.co_filename.startswith(TESTS):
            continue
        for name, value in list(frame.f_locals.items()):
            if _holds(value, markers, _DEPTH, set()):
                found.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}() {name}")
    return found


def _holds(value: Any, markers: list[str], depth: int, seen: set[int]) -> bool:
    if isinstance(value, str):
        return any(marker in value for marker in markers)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return any(marker.encode() in data for marker in markers)
    if depth == 0 or id(value) in seen or isinstance(value, (type, ModuleType)):
        return False
    seen.add(id(value))
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif isinstance(value, BaseException):
        items = list(value.args)
    elif type(value).__module__.startswith(_HOLDERS) or callable(value):
        return False
    else:
        items = list(getattr(value, "__dict__", {}).values())
    return any(_holds(item, markers, depth - 1, seen) for item in items)
