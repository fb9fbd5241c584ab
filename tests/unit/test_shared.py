"""The shared tier: folder rule, auto rule, the store, single flight across processes."""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di.core.environment import shared_folder, sharing_wanted
from lambda_cache_di.core.private_folder import file_stem, private_directory
from lambda_cache_di.core.shared import (
    Record,
    SharedStore,
    SharedValue,
    decode,
    encode,
    resolve_shared,
)
from lambda_cache_di.errors import FetchError
from lambda_cache_di.testing import FakeClock

from .. import workers

KEY = "ssm:/app/table"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def value_file(folder: Path, key: str = KEY) -> Path:
    return folder / (file_stem(key) + ".json")


class TestFolderRule:
    """The shared folder is private to its user, or refused."""

    def test_default_folder_is_per_user_in_the_temp_folder(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Without LAMBDA_CACHE_DI_DIR the folder is <tempdir>/lambda-cache-di-<uid>, made 0700."""
        monkeypatch.delenv("LAMBDA_CACHE_DI_DIR")
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        assert shared_folder() == tmp_path / f"lambda-cache-di-{os.getuid()}"
        with private_directory():
            pass
        assert mode_of(tmp_path / f"lambda-cache-di-{os.getuid()}") == 0o700

    def test_variable_is_read_at_use(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """LAMBDA_CACHE_DI_DIR set after import is used; missing parents are made 0700."""
        monkeypatch.setenv("LAMBDA_CACHE_DI_DIR", str(tmp_path / "a" / "b"))
        SharedStore().remove(KEY)
        assert mode_of(tmp_path / "a" / "b") == 0o700
        assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == [
            file_stem(KEY) + ".lock"
        ]

    @pytest.mark.parametrize(
        ("mode", "reason"),
        [
            (0o777, "mode 0777 grants access to group or others"),
            (0o770, "mode 0770 grants access to group or others"),
            (0o701, "mode 0701 grants access to group or others"),
        ],
    )
    def test_open_folder_is_refused(self, tmp_path: Path, mode: int, reason: str) -> None:
        """A folder granting any permission to group or others is refused, naming it and why."""
        folder = tmp_path / "squat"
        folder.mkdir()
        folder.chmod(mode)
        with pytest.raises(FetchError) as caught:
            SharedStore(folder).read(KEY)
        assert str(caught.value) == f"shared folder {folder} refused: {reason}"
        assert caught.value.transient is False

    def test_symlink_is_refused(self, tmp_path: Path) -> None:
        """A folder that is a symbolic link is refused, even to a private folder of ours."""
        target = tmp_path / "real"
        target.mkdir(mode=0o700)
        link = tmp_path / "link"
        link.symlink_to(target)
        with pytest.raises(FetchError) as caught:
            SharedStore(link).read(KEY)
        assert str(caught.value) == f"shared folder {link} refused: is a symbolic link"

    def test_folder_of_another_owner_is_refused(self, tmp_path: Path) -> None:
        """A folder owned by another user (as a squatter would leave it) is refused."""
        if os.getuid() != 0:
            pytest.skip("only root can hand a folder to another user")
        folder = tmp_path / "theirs"
        folder.mkdir(mode=0o700)
        os.chown(folder, 65534, 65534)
        with pytest.raises(FetchError) as caught:
            SharedStore(folder).read(KEY)
        assert str(caught.value) == (
            f"shared folder {folder} refused: owned by uid 65534, not by uid {os.getuid()}"
        )

    def test_planted_value_in_a_squatted_folder_is_never_read(self, tmp_path: Path) -> None:
        """A value planted in a world-writable folder is neither served nor replaced."""
        folder = tmp_path / "squat"
        folder.mkdir()
        folder.chmod(0o777)
        planted = value_file(folder)
        planted.write_text(json.dumps({"fetched_at": time.monotonic(), "value": "planted"}))
        calls: list[int] = []
        shared = SharedValue(
            SharedStore(folder),
            KEY,
            lambda: calls.append(1) or "real",
            lambda: time.monotonic,
            60,
            what="x",
        )
        with pytest.raises(FetchError, match="refused"):
            shared.load()
        assert (calls, json.loads(planted.read_text())["value"]) == ([], "planted")

    def test_file_in_the_folder_is_not_a_folder(self, tmp_path: Path) -> None:
        """A plain file where the folder should be is refused."""
        path = tmp_path / "file"
        path.write_text("x")
        with pytest.raises(FetchError) as caught:
            SharedStore(path).read(KEY)
        assert str(caught.value) == f"shared folder {path} refused: is not a folder"


class TestAutoRule:
    """`shared=None` shares only where several processes run, unless switched."""

    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            ({}, False),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "1"}, False),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "2"}, True),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "64"}, True),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "zero"}, False),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": ""}, False),
            ({"LAMBDA_CACHE_DI_SHARED": "1"}, True),
            ({"LAMBDA_CACHE_DI_SHARED": "0"}, False),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "8", "LAMBDA_CACHE_DI_SHARED": "0"}, False),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "1", "LAMBDA_CACHE_DI_SHARED": "1"}, True),
            ({"AWS_LAMBDA_MAX_CONCURRENCY": "8", "LAMBDA_CACHE_DI_SHARED": "yes"}, True),
        ],
    )
    def test_matrix(self, environ: dict[str, str], expected: bool) -> None:
        """Concurrency > 1 or SHARED=1 shares; SHARED=0 never does; anything else is ignored."""
        assert sharing_wanted(environ) is expected

    @pytest.mark.parametrize(
        ("shared", "by_default", "concurrency", "expected"),
        [
            (None, True, "8", True),
            (None, False, "8", False),
            (None, True, "1", False),
            (True, False, "1", True),
            (False, True, "8", False),
        ],
    )
    def test_provider_choice(
        self,
        monkeypatch: pytest.MonkeyPatch,
        shared: bool | None,
        by_default: bool,
        concurrency: str,
        expected: bool,
    ) -> None:
        """True and False are final; None follows the auto rule for values shared by default."""
        monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", concurrency)
        assert resolve_shared(shared, by_default) is expected


class TestStore:
    """Values round-trip through files that are private, atomic and robust to damage."""

    @pytest.mark.parametrize(
        "value",
        ["text", "", ["a", "b"], b"\x00\xffbin", {"k": "v", "l": ["x"], "b": b"1"}, {"b": "x"}],
    )
    def test_values_round_trip(self, value: Any) -> None:
        """Text, lists, bytes and dicts come back equal and of the same types."""
        assert decode(json.loads(json.dumps(encode(value)))) == value

    def test_unknown_types_are_refused(self) -> None:
        """An object the store cannot hold raises TypeError (the value is then not shared)."""
        with pytest.raises(TypeError):
            encode(object())

    def test_written_file_is_0600_and_read_back(self, shared_folder: Path) -> None:
        """A written record reads back equal; its file is 0600 and no temporary file is left."""
        store = SharedStore()
        with store.session([KEY]) as session:
            session.write(KEY, Record(12.5, b"bytes"))
        assert store.read(KEY) == Record(12.5, b"bytes")
        assert mode_of(value_file(shared_folder)) == 0o600
        assert not [p for p in shared_folder.iterdir() if p.name.endswith(".part")]

    @pytest.mark.parametrize(
        "content",
        [b"", b"{", b'{"fetched_at": "x", "value": "v"}', b'{"fetched_at": 1}', b"[1]", b"\xff"],
    )
    def test_damaged_file_is_absent_and_replaced(self, shared_folder: Path, content: bytes) -> None:
        """A damaged record reads as absent; the next load fetches and replaces it."""
        value_file(shared_folder).write_bytes(content)
        shared = SharedValue(SharedStore(), KEY, lambda: "fresh", lambda: FakeClock(), 60, what="x")
        assert shared.load() == ("fresh", 1000.0)
        assert SharedStore().read(KEY) == Record(1000.0, "fresh")

    def test_symlinked_value_file_is_not_followed(
        self, shared_folder: Path, tmp_path: Path
    ) -> None:
        """A value file that is a symbolic link reads as absent."""
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_text(json.dumps({"fetched_at": 1.0, "value": "planted"}))
        value_file(shared_folder).symlink_to(elsewhere)
        assert SharedStore().read(KEY) is None


class TestSharedValue:
    """One fetch for all the processes, ages counted from the original fetch."""

    def make(
        self, clock: FakeClock, calls: list[str], value: str = "v", **options: Any
    ) -> SharedValue:
        def fetch() -> str:
            calls.append(value)
            return value

        return SharedValue(SharedStore(), KEY, fetch, lambda: clock, 60, what="x", **options)

    def test_fresh_record_is_served_with_its_own_age(self) -> None:
        """A second loader gets the first one's value and fetch time, without fetching."""
        clock, calls = FakeClock(), []  # type: list[str]
        assert self.make(clock, calls).load() == ("v", 1000.0)
        clock.tick(59)
        assert self.make(clock, calls, "other").load() == ("v", 1000.0)
        assert calls == ["v"]

    def test_expired_record_is_fetched_again(self) -> None:
        """At max age the record is stale: the next loader fetches and rewrites it."""
        clock, calls = FakeClock(), []  # type: list[str]
        self.make(clock, calls).load()
        clock.tick(60)
        assert self.make(clock, calls, "new").load() == ("new", 1060.0)
        assert SharedStore().read(KEY) == Record(1060.0, "new")

    def test_record_from_the_future_is_absent(self) -> None:
        """A record younger than zero (another clock) is not trusted."""
        clock, calls = FakeClock(), []  # type: list[str]
        self.make(FakeClock(5000.0), calls, "future").load()
        assert self.make(clock, calls, "now").load() == ("now", 1000.0)

    def test_force_fetches_even_when_fresh(self) -> None:
        """load(force=True), as refresh() uses it, fetches and rewrites a fresh record."""
        clock, calls = FakeClock(), []  # type: list[str]
        self.make(clock, calls).load()
        assert self.make(clock, calls, "forced").load(force=True) == ("forced", 1000.0)
        assert calls == ["v", "forced"]

    def test_failure_is_not_written(self) -> None:
        """A failed fetch leaves no record behind (errors are each process's own)."""

        def fail() -> str:
            raise FetchError("boom", transient=True)

        shared = SharedValue(SharedStore(), KEY, fail, lambda: FakeClock(), 60, what="x")
        with pytest.raises(FetchError, match="boom"):
            shared.load()
        assert SharedStore().read(KEY) is None

    def test_private_value_leaves_only_a_marker(self, shared_folder: Path) -> None:
        """A private value is returned but its file holds no value, only the private mark."""
        clock, calls = FakeClock(), []  # type: list[str]
        shared = self.make(clock, calls, "s3cr3t-marker", private=lambda _: True)
        assert shared.load() == ("s3cr3t-marker", 1000.0)
        assert json.loads(value_file(shared_folder).read_text()) == {
            "fetched_at": 1000.0,
            "private": True,
        }

    def test_private_marker_skips_the_lock(self) -> None:
        """A loader that finds the private mark fetches without waiting on the held lock."""
        clock, calls = FakeClock(), []  # type: list[str]
        self.make(clock, calls, private=lambda _: True).load()
        other = SharedValue(
            SharedStore(lock_timeout=0), KEY, lambda: "own", lambda: clock, 60, what="x"
        )
        with SharedStore().session([KEY]):
            assert other.load() == ("own", 1000.0)

    def test_forget_keeps_a_newer_record(self) -> None:
        """forget(before) removes a record fetched before that time, never a newer one."""
        clock, calls = FakeClock(), []  # type: list[str]
        shared = self.make(clock, calls)
        shared.load()
        shared.forget(999.0)
        assert SharedStore().read(KEY) == Record(1000.0, "v")
        shared.forget(1000.0)
        assert SharedStore().read(KEY) is None


class TestAcrossProcesses:
    """Real OS processes sharing one folder."""

    def test_eight_processes_fetch_once(self, shared_folder: Path, tmp_path: Path) -> None:
        """Eight processes loading at once make one fetch and all get its value and fetch time."""
        log = tmp_path / "fetches.log"
        barrier, results = workers.SPAWN.Barrier(8), workers.SPAWN.Queue()
        processes = [
            workers.SPAWN.Process(
                target=workers.load_shared, args=(str(shared_folder), str(log), barrier, results)
            )
            for _ in range(8)
        ]
        for process in processes:
            process.start()
        got = [results.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        assert len(log.read_text().splitlines()) == 1
        assert {value for value, _ in got} == {"orders-table"}
        assert len({fetched_at for _, fetched_at in got}) == 1

    def test_private_values_are_fetched_by_each(self, shared_folder: Path, tmp_path: Path) -> None:
        """Four processes finding a private value each fetch it; no value reaches the disk."""
        log = tmp_path / "fetches.log"
        barrier, results = workers.SPAWN.Barrier(4), workers.SPAWN.Queue()
        processes = [
            workers.SPAWN.Process(
                target=workers.load_shared,
                args=(str(shared_folder), str(log), barrier, results, True),
            )
            for _ in range(4)
        ]
        for process in processes:
            process.start()
        got = [results.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        assert [value for value, _ in got] == ["orders-table"] * 4
        assert len(log.read_text().splitlines()) == 4
        assert all(b"orders-table" not in p.read_bytes() for p in shared_folder.iterdir())

    def test_killed_holder_releases_its_lock(self, shared_folder: Path) -> None:
        """A process SIGKILLed while holding a lock blocks nobody: the kernel drops the lock."""
        ready = workers.SPAWN.Event()
        holder = workers.SPAWN.Process(
            target=workers.hold_lock_then_hang, args=(str(shared_folder), KEY, ready)
        )
        holder.start()
        assert ready.wait(timeout=60)
        with (
            pytest.raises(FetchError, match="waited 0s for another process"),
            SharedStore(lock_timeout=0).session([KEY]),
        ):
            pass
        os.kill(holder.pid or 0, signal.SIGKILL)
        holder.join(timeout=30)
        shared = SharedValue(SharedStore(), KEY, lambda: "after", lambda: FakeClock(), 60, what="x")
        assert shared.load() == ("after", 1000.0)
