"""What a Derived object was built from, and how a new resolution of its arguments compares.

Standard library only. The provider in `derived.py` keeps a `Built` (its object
and the argument values it was built from, with a stamp of each file path) and
asks `compare()` whether the values it just resolved are the same ones.
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Stamps = tuple[tuple[int, ...] | None, ...]

CHANGED, SAME, EQUAL = 0, 1, 2


class Built(Generic[T]):
    """An object and the values it was built from, read together in one attribute load.

    Its repr shows neither: error reporters record the locals of every frame.
    """

    __slots__ = ("first", "obj", "stamps", "values")

    def __init__(self, obj: T, values: tuple[Any, ...], stamps: Stamps | None) -> None:
        self.obj = obj
        self.values = values
        self.stamps = stamps
        self.first: Any = values[0] if values else None

    def __repr__(self) -> str:
        return "<Derived object and the values it was built from>"


def stamp(path: PurePath) -> tuple[int, ...]:
    """The identity of the file at `path` now; () when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return ()
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def stamps_of(values: tuple[Any, ...]) -> Stamps | None:
    """The stamp of each path among `values` (None for the others); None when there is no path."""
    if not any(isinstance(value, PurePath) for value in values):
        return None
    return tuple(stamp(value) if isinstance(value, PurePath) else None for value in values)


def compare(state: Built[Any], values: tuple[Any, ...]) -> int:
    """SAME when every value is the one kept (and files unchanged), EQUAL when all are equal."""
    outcome = SAME
    stamps = state.stamps
    for index, (before, after) in enumerate(zip(state.values, values, strict=True)):
        if before is not after:
            if type(before) is not type(after) or not _equal(before, after):
                return CHANGED
            outcome = EQUAL
        if stamps is not None and stamps[index] is not None and stamp(after) != stamps[index]:
            return CHANGED
    return outcome


def _equal(before: Any, after: Any) -> bool:
    """`==`, where a comparison that fails or has no truth value counts as a change."""
    try:
        return bool(before == after)
    except Exception:
        return False
