"""Record files of the shared tier: what the library writes, and nothing else, is read back.

Standard library only. A record file is planted, damaged or cut short as easily
as it is written (any process of the same user can write in the folder), so a
read counts as absent whatever is not exactly what `encode` and `document`
produce: a FIFO or a folder at the path, more than `MAX_RECORD_BYTES`, deeper
than `MAX_DEPTH`, a number that is not a finite time, an unknown field. The
size and depth are bounded before the parser runs, so no file can exhaust
memory or the stack.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
from typing import Any, NamedTuple

MAX_RECORD_BYTES = 16 * 1024 * 1024
# The library's records nest at most 4 deep ({"value": {"d": {key: {"b": ...}}}}).
MAX_DEPTH = 8
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")


class SecureText(str):
    """The decrypted text of a SecureString parameter: a `str` that remembers its type.

    The shared tier reads the type from it, so that under the auto rule a
    SecureString never reaches the disk while String and StringList values do.
    A record written with `shared=True` tags it, and reading it back gives a
    SecureText again: the provider still knows the value was decrypted.
    """

    __slots__ = ()


class Record(NamedTuple):
    """A value shared by the processes, and when it was fetched (provider clock).

    `private` marks a value that must not be shared (a SecureString found under
    the auto rule): the record then holds no value, only that fact, so the other
    processes stop waiting on the lock for it.
    """

    fetched_at: float
    value: Any = None
    private: bool = False

    def fresh(self, now: float, max_age: float) -> bool:
        """Whether the record is younger than `max_age` at `now` (and not from the future)."""
        return 0.0 <= now - self.fetched_at < max_age


def encode(value: Any) -> Any:
    """A raw fetched value as JSON: text, lists, dicts, bytes (base64) and SecureText (tagged)."""
    if isinstance(value, SecureText):
        return {"s": str(value)}
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"d": {key: encode(item) for key, item in value.items()}}
    raise TypeError(f"{type(value).__name__} is not a value the shared tier stores")


def decode(document: Any) -> Any:
    """The value `encode` wrote; ValueError for anything else."""
    if isinstance(document, str):
        return document
    if isinstance(document, list):
        return [decode(item) for item in document]
    if isinstance(document, dict) and len(document) == 1:
        if "s" in document and isinstance(document["s"], str):
            return SecureText(document["s"])
        if "b" in document and isinstance(document["b"], str):
            return base64.b64decode(document["b"], validate=True)
        if "d" in document and isinstance(document["d"], dict):
            return {key: decode(item) for key, item in document["d"].items()}
    raise ValueError("not a stored value")


def document(record: Record) -> bytes:
    """The bytes of a record file; ValueError for a value too large to be read back."""
    fields: dict[str, Any] = {"fetched_at": record.fetched_at}
    if record.private:
        fields["private"] = True
    else:
        fields["value"] = encode(record.value)
    data = json.dumps(fields, separators=(",", ":")).encode("ascii")
    if len(data) > MAX_RECORD_BYTES:
        raise ValueError("too large for a record file")
    return data


def parse_record(data: bytes | None) -> Record | None:
    """The record `document` wrote, or None for anything else."""
    parsed = parse_json(data)
    if not isinstance(parsed, dict):
        return None
    fetched_at = time_field(parsed.get("fetched_at"))
    if fetched_at is None:
        return None
    if parsed.keys() == {"fetched_at", "private"} and parsed["private"] is True:
        return Record(fetched_at, private=True)
    if parsed.keys() != {"fetched_at", "value"}:
        return None
    try:
        return Record(fetched_at, decode(parsed["value"]))
    except (ValueError, TypeError):
        return None


def time_field(value: Any) -> float | None:
    """A time as written: a finite number, or minus infinity ("expired"); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) or number == -math.inf else None


def read_bounded(dir_fd: int, name: str) -> bytes | None:
    """The bytes of a regular file of ours, or None (absent, not a file, too large, unreadable).

    O_NONBLOCK: a FIFO planted at the path must not block the open.
    """
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        if info.st_size > MAX_RECORD_BYTES:
            return None
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_RECORD_BYTES:
            chunk = os.read(fd, MAX_RECORD_BYTES + 1 - total)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
        return None  # it grew past the bound while being read
    except OSError:
        return None
    finally:
        os.close(fd)


def parse_json(data: bytes | None) -> Any:
    """JSON from a file's bytes; None when absent, nested too deep or not JSON."""
    if data is None or not _shallow(data):
        return None
    try:
        return json.loads(data, parse_constant=_minus_infinity_only)
    except (ValueError, RecursionError):
        return None


def _shallow(data: bytes) -> bool:
    """Whether the JSON text nests at most MAX_DEPTH deep, counted without parsing it.

    Strings are dropped, then only brackets kept; each pass removes the innermost
    pairs, so a text of depth d is empty after d passes.
    """
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    for _ in range(MAX_DEPTH):
        if not brackets:
            return True
        brackets = _INNERMOST.sub(b"", brackets)
    return not brackets


def _minus_infinity_only(name: str) -> float:
    # The library writes -Infinity for an expired time; NaN and Infinity are never written.
    if name == "-Infinity":
        return -math.inf
    raise ValueError(f"{name} is not a time")
