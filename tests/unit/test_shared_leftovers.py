"""What a shared secret leaves in the folder: nothing once it is expired, replaced or forgotten.

Real processes, real files: a forked writer is SIGKILLed at random points of a
loop of shared writes, and every file of the folder, temporaries included, is
then read in full.
"""

from __future__ import annotations

import gc
import logging
import os
import random
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from lambda_cache_di import Secret
from lambda_cache_di.core.private_folder import file_stem
from lambda_cache_di.core.shared import SharedStore, SharedValue

KEY = "secretsmanager:app/token"
TRIALS = 200
# A large value makes each write last long enough for kills to land inside it.
PADDING = "p" * 65536
WRITER_ANSWERS = 2000
STARTUP_SECONDS = 10.0  # the longest a forked writer may take to its first write
ROUNDS = TRIALS // 4


def files_holding(folder: Path, marker: bytes) -> list[str]:
    """The names of the files of `folder` (temporaries included) whose bytes hold `marker`."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and marker in p.read_bytes())


def temporaries(folder: Path) -> list[str]:
    """The temporary files in `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def shared_secret(folder: Path, value: str, clock_offset: float = 0.0) -> SharedValue:
    """A shared value of `KEY` in `folder` whose fetch returns `value`."""
    return SharedValue(
        SharedStore(folder),
        KEY,
        lambda: value,
        lambda: lambda: time.monotonic() + clock_offset,
        60.0,
        what="secret app/token",
    )


def started_child(child: Callable[[int], None]) -> int:
    """Fork a process running `child(started)`; its pid, once it wrote to the pipe `started`.

    A child writes there just before its loop of writes: delays before a kill
    then count from its writes, not from the fork. Forking a large test process
    can take longer than the delay, and a child killed before it began would
    never be killed mid-write. A child that dies first ends the wait too (end
    of file).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            # A collection in the child would walk, and so copy, the whole heap of the
            # process it was forked from: long enough to outlast any delay.
            gc.disable()
            child(write_end)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        select.select([read_end], [], [], STARTUP_SECONDS)
    finally:
        os.close(read_end)
    return pid


def write_until_killed(folder: Path, secret: str, started: int) -> None:
    """In a forked child: refresh the shared secret over and over, until SIGKILL."""
    shared = shared_secret(folder, secret)
    os.write(started, b"!")
    for _ in range(100_000):
        shared.load(force=True)


def kill_a_writer(folder: Path, secret: str, rng: random.Random) -> None:
    """Start a writer of `secret`, SIGKILL it a random few milliseconds into its writes, reap it."""
    pid = started_child(lambda started: write_until_killed(folder, secret, started))
    time.sleep(rng.uniform(0.0, 0.02))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


class TestKilledWriters:
    """Writers killed mid-write leave no copy of the secret behind."""

    def test_two_hundred_kills_leave_no_secret(self, shared_folder: Path) -> None:
        """After each kill: a read sweeps, the next fetch leaves no old byte, forget none at all."""
        rng = random.Random(22)
        left_after_read, left_after_fetch, left_after_forget = [], [], []
        killed_mid_write = 0
        for trial in range(TRIALS):
            secret = f"KILLED-{trial:04d}-{PADDING}"
            kill_a_writer(shared_folder, secret, rng)
            killed_mid_write += bool(temporaries(shared_folder))
            SharedStore(shared_folder).read(KEY)  # a reader on its way sweeps, lock free
            left_after_read += temporaries(shared_folder)
            # The next call, once the record expired: the secret rotated meanwhile.
            later = shared_secret(shared_folder, f"ROTATED-{trial:04d}", clock_offset=3600.0)
            assert later.load() == (f"ROTATED-{trial:04d}", pytest.approx(later_clock(), abs=5))
            left_after_fetch += files_holding(shared_folder, f"KILLED-{trial:04d}".encode())
            later.forget(float("inf"))
            left_after_forget += files_holding(shared_folder, b"KILLED-")
            left_after_forget += files_holding(shared_folder, b"ROTATED-")
        assert (left_after_read, left_after_fetch, left_after_forget) == ([], [], [])
        # The kills did land inside writes (a test that never did so could not fail).
        assert killed_mid_write >= TRIALS // 20, killed_mid_write
        print(f"{killed_mid_write} of {TRIALS} writers were killed mid-write")
        assert sorted(p.name for p in shared_folder.iterdir()) == [file_stem(KEY) + ".lock"]

    def test_a_dead_writers_temporary_is_removed_under_the_lock(self, shared_folder: Path) -> None:
        """A temporary file left at the record's temporary name goes at the next locked call."""
        temporary = shared_folder / f".{file_stem(KEY)}.json.part"
        temporary.write_text('{"fetched_at":1,"value":"LEFT-BEHIND"}')
        temporary.chmod(0o600)
        shared_secret(shared_folder, "fresh", clock_offset=0.0).load(force=True)
        assert files_holding(shared_folder, b"LEFT-BEHIND") == []


def later_clock() -> float:
    return time.monotonic() + 3600.0


def stubbed_secrets(value: str, answers: int) -> Any:
    """A real Secrets Manager client that answers `value` `answers` times, offline."""
    client = boto3.client("secretsmanager", region_name="us-east-1")
    stubber = Stubber(client)
    for _ in range(answers):
        stubber.add_response("get_secret_value", {"Name": "app/token", "SecretString": value})
    stubber.activate()
    return client


def refresh_until_killed(client: Any, started: int) -> None:
    """In a forked child: refresh a shared Secret over and over, until SIGKILL."""
    provider = Secret("app/token", shared=True, client=client)
    os.write(started, b"!")
    for _ in range(WRITER_ANSWERS):
        provider.refresh()


class TestKilledSecretProviders:
    """Four processes refreshing one Secret(shared=True), all SIGKILLed at random points."""

    def test_two_hundred_kills_in_rounds_of_four(self, shared_folder: Path) -> None:
        """After each round of four kills, the next refresh leaves no file with the old secret."""
        rng = random.Random(2022)
        # Forked children inherit the stubbed answers; each one uses its own copy of them.
        killed_client = stubbed_secrets(f"KILLED-SECRET-{PADDING}", WRITER_ANSWERS)
        next_client = stubbed_secrets("NEXT-SECRET", ROUNDS)
        after_next_call, after_invalidate = [], []
        killed_mid_write = 0
        for _ in range(ROUNDS):
            writers = [
                started_child(lambda started: refresh_until_killed(killed_client, started))
                for _ in range(4)
            ]
            time.sleep(rng.uniform(0.0, 0.03))
            for pid in writers:
                os.kill(pid, signal.SIGKILL)
            for pid in writers:
                os.waitpid(pid, 0)
            killed_mid_write += bool(temporaries(shared_folder))
            provider = Secret("app/token", shared=True, client=next_client)
            assert provider.refresh() == "NEXT-SECRET"
            after_next_call += files_holding(shared_folder, b"KILLED-SECRET")
            provider.invalidate()
            after_invalidate += files_holding(shared_folder, b"-SECRET")
        assert (after_next_call, after_invalidate) == ([], [])
        assert killed_mid_write >= ROUNDS // 20, killed_mid_write
        print(f"{killed_mid_write} of {ROUNDS} rounds left a temporary file")


class TestForgetInARefusedFolder:
    """invalidate() on a folder that became refused does not leave a secret silently."""

    def test_secret_is_removed_from_a_folder_opened_to_others(
        self, shared_folder: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A folder of ours made 0777 is refused; invalidate() removes the secret, and says so."""
        with mock_aws():
            client = boto3.client("secretsmanager", region_name="us-east-1")
            client.create_secret(Name="app/token", SecretString="TOKEN-IN-THE-FOLDER")
            provider = Secret("app/token", shared=True, client=client)
            assert provider() == "TOKEN-IN-THE-FOLDER"
            assert len(files_holding(shared_folder, b"TOKEN-IN-THE-FOLDER")) == 1
            shared_folder.chmod(0o777)
            with caplog.at_level(logging.WARNING, logger="lambda_cache_di"):
                provider.invalidate()
        shared_folder.chmod(0o700)
        assert files_holding(shared_folder, b"TOKEN-IN-THE-FOLDER") == []
        assert [record.getMessage() for record in caplog.records] == [
            f"forgetting the shared copy of app/token: shared folder {shared_folder} "
            "refused: mode 0777 grants access to group or others; removed it without the lock"
        ]

    def test_folder_of_another_kind_is_reported(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Where nothing can be removed safely (a symlinked folder), a warning says so."""
        real = tmp_path / "real"
        real.mkdir(mode=0o700)
        link = tmp_path / "link"
        link.symlink_to(real)
        store = SharedStore(link)
        shared = SharedValue(store, KEY, lambda: "v", lambda: time.monotonic, 60, what="x")
        with caplog.at_level(logging.WARNING, logger="lambda_cache_di"):
            shared.forget(float("inf"))
        assert [record.getMessage() for record in caplog.records] == [
            f"forgetting the shared copy of x: shared folder {link} refused: "
            "is a symbolic link; its file may remain"
        ]


class TestFolderCreation:
    """Missing folders are created private, parents included."""

    def test_missing_parents_are_created_0700(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """LAMBDA_CACHE_DI_DIR with missing parents: each one is created with mode 0700."""
        monkeypatch.setenv("LAMBDA_CACHE_DI_DIR", str(tmp_path / "a" / "b" / "c"))
        previous = os.umask(0o022)
        try:
            SharedStore().read(KEY)
        finally:
            os.umask(previous)
        modes = [(tmp_path / p).stat().st_mode & 0o777 for p in ("a", "a/b", "a/b/c")]
        assert modes == [0o700, 0o700, 0o700]
