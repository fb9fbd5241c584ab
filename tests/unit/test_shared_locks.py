"""Locks of the shared tier: released despite a fork, and bounded per call, not per lock."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lambda_cache_di.core.private_folder import file_stem
from lambda_cache_di.core.shared import SharedStore, SharedValue
from lambda_cache_di.errors import FetchError

KEY = "ssm:/app/table"


@contextmanager
def reaped(pid: int) -> Iterator[None]:
    """Kill and reap the forked child `pid` on the way out."""
    try:
        yield
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def fork_a_sleeper() -> int:
    """Fork a child that never calls the library and sleeps until killed."""
    pid = os.fork()
    if pid == 0:
        try:
            time.sleep(60)
        finally:
            os._exit(0)
    return pid


class TestFork:
    """A child forked while a lock is held does not keep it."""

    def test_child_forked_during_a_fetch_releases_the_lock(self, shared_folder: Path) -> None:
        """A fetch that forks a long-lived child: another taker gets the lock once it ends."""
        children: list[int] = []

        def fetch_that_forks() -> str:
            children.append(fork_a_sleeper())
            return "value"

        shared = SharedValue(
            SharedStore(shared_folder), KEY, fetch_that_forks, lambda: time.monotonic, 60, what="x"
        )
        assert shared.load()[0] == "value"
        with reaped(children[0]):
            began = time.monotonic()
            with SharedStore(shared_folder, lock_timeout=2.0).session([KEY]) as session:
                assert session.locked
            assert time.monotonic() - began < 1.0

    def test_child_forked_by_another_thread_releases_the_lock(self, shared_folder: Path) -> None:
        """A child forked by any thread while a lock is held: the lock ends with its holder."""
        pids: list[int] = []
        with SharedStore(shared_folder).session([KEY]):
            forker = threading.Thread(target=lambda: pids.append(fork_a_sleeper()))
            forker.start()
            forker.join(timeout=10)
        with reaped(pids[0]), SharedStore(shared_folder, lock_timeout=2.0).session([KEY]):
            pass

    def test_locks_are_closed_on_exec(self, shared_folder: Path) -> None:
        """The lock descriptor is close-on-exec: a program started meanwhile does not inherit it."""
        lock = shared_folder / (file_stem(KEY) + ".lock")
        with SharedStore(shared_folder).session([KEY]):
            held = [
                int(fd)
                for fd in os.listdir("/proc/self/fd")
                if os.path.realpath(f"/proc/self/fd/{fd}") == str(lock)
            ]
            assert len(held) == 1
            assert os.get_inheritable(held[0]) is False


def hold_until(store: SharedStore, key: str, release_at: float, ready: threading.Event) -> None:
    with store.session([key]):
        ready.set()
        time.sleep(max(release_at - time.monotonic(), 0.0))


class TestOneDeadlinePerCall:
    """The lock wait bound holds for a whole session, however many locks it takes."""

    def test_waits_on_several_locks_add_up_to_the_bound(self, shared_folder: Path) -> None:
        """Three locks freed 0.5 s apart: a session bounded at 0.8 s gives up at 0.8 s."""
        keys = sorted((f"ssm:/app/{n}" for n in "abc"), key=file_stem)
        start = time.monotonic()
        holders = []
        for index, key in enumerate(keys):  # freed in the order the session takes them
            ready = threading.Event()
            holder = threading.Thread(
                target=hold_until,
                args=(SharedStore(shared_folder), key, start + 0.5 * (index + 1), ready),
            )
            holder.start()
            assert ready.wait(timeout=10)
            holders.append(holder)
        began = time.monotonic()
        with (
            pytest.raises(FetchError, match=r"waited 0\.8s for another process fetching a batch"),
            SharedStore(shared_folder, lock_timeout=0.8).session(keys, "a batch"),
        ):
            pass
        waited = time.monotonic() - began
        for holder in holders:
            holder.join(timeout=10)
        assert 0.7 <= waited < 1.2
