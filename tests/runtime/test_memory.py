"""The memory search, over a file standing in for /proc/<pid>/mem."""

from __future__ import annotations

import io
import os
import sys

import pytest

from lambda_cache_di.testing import memory
from lambda_cache_di.testing.memory import secret_copies_in_memory


class Unreadable(io.BytesIO):
    """A region that fails to read, as [vvar] does."""

    def read(self, size: int | None = -1) -> bytes:
        raise OSError(5, "Input/output error")


class TestCountInRegion:
    def test_counts_across_chunk_boundaries_once(self, monkeypatch):
        """A marker split by a chunk boundary counts once; one inside a chunk too."""
        monkeypatch.setattr(memory, "_CHUNK", 4)
        data = io.BytesIO(b"..abc...abcabc..")
        assert memory._count_in_region(data, 0, len(data.getvalue()), b"abc") == 3

    def test_counts_only_within_the_region(self):
        """Bytes outside [start, end) are not searched."""
        data = io.BytesIO(b"abc-abc-abc")
        assert memory._count_in_region(data, 1, 11, b"abc") == 2

    def test_an_unreadable_region_counts_nothing(self):
        """A region that cannot be read is skipped, not an error."""
        assert memory._count_in_region(Unreadable(b"abc"), 0, 3, b"abc") == 0


def test_an_empty_marker_is_refused():
    """An empty marker would match everywhere: ValueError naming it."""
    with pytest.raises(ValueError, match="marker must not be empty"):
        secret_copies_in_memory(os.getpid(), b"")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc only")
def test_finds_a_marker_held_by_this_process():
    """A marker built at run time and held in a bytearray is found in this process's memory."""
    held = bytearray(b"held-") + os.urandom(8).hex().encode()
    assert secret_copies_in_memory(os.getpid(), bytes(held)) >= 1
