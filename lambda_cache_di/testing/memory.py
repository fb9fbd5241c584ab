"""Count a marker in a live process's memory: what a SnapStart snapshot would hold (Linux)."""

from __future__ import annotations

from typing import BinaryIO

# Read a region in slices: a heap may be hundreds of MiB.
_CHUNK = 8 * 1024 * 1024


def secret_copies_in_memory(pid: int, marker: bytes) -> int:
    """How many times `marker` occurs in the readable memory of process `pid` (Linux)."""
    if not marker:
        raise ValueError("marker must not be empty")
    count = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as memory:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r"):
                continue
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            count += _count_in_region(memory, start, end, marker)
    return count


def _count_in_region(memory: BinaryIO, start: int, end: int, marker: bytes) -> int:
    count, tail, position = 0, b"", start
    while position < end:
        try:
            memory.seek(position)
            chunk = memory.read(min(_CHUNK, end - position))
        except OSError:
            return count  # [vvar] and guard pages cannot be read: skip the rest of the region
        if not chunk:
            break
        window = tail + chunk
        count += window.count(marker)
        # Keep the last bytes so a marker across a chunk boundary counts, once.
        tail = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
        position += len(chunk)
    return count
