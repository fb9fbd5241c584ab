"""Files planted in the shared folder by the same user: absent unless exactly the library's.

Each test plants a record (or a lock) that the library never writes, then
checks that the next call fetches as if there were none, never raises, hangs
or serves the planted value, and that the fetch replaces the record.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambda_cache_di import S3File, Secret, SSMParameter, SSMParameters
from lambda_cache_di.core.private_folder import file_stem
from lambda_cache_di.core.records import MAX_RECORD_BYTES, encode
from lambda_cache_di.core.shared import SharedStore, SharedValue

KEY = "ssm:/app/table"
NOW = 1000.0


def record_path(folder: Path, key: str = KEY) -> Path:
    return folder / (file_stem(key) + ".json")


def plant(path: Path, data: bytes) -> None:
    """Write `data` at `path` as the library's user would, mode 0600."""
    path.write_bytes(data)
    path.chmod(0o600)


def fetched_once(folder: Path) -> tuple[SharedValue, list[int]]:
    """A shared value of KEY whose fetch returns "fetched" and counts its calls."""
    calls: list[int] = []

    def fetch() -> str:
        calls.append(1)
        return "fetched"

    shared = SharedValue(SharedStore(folder), KEY, fetch, lambda: lambda: NOW, 60.0, what="x")
    return shared, calls


def stored_value(path: Path) -> Any:
    return json.loads(path.read_bytes())["value"]


def deep(depth: int) -> bytes:
    return b"[" * depth + b'"x"' + b"]" * depth


PLANTED = {
    "a 400-digit fetched_at": b'{"fetched_at":' + b"9" * 400 + b',"value":"planted"}',
    "a fetched_at of 1e400": b'{"fetched_at":1e400,"value":"planted"}',
    "a NaN fetched_at": b'{"fetched_at":NaN,"value":"planted"}',
    "a value nested 700 deep": b'{"fetched_at":999,"value":' + deep(700) + b"}",
    "a value nested 950 deep": b'{"fetched_at":999,"value":' + deep(950) + b"}",
    "a value nested 100000 deep": b'{"fetched_at":999,"value":' + deep(100000) + b"}",
    "an unknown field": b'{"fetched_at":999,"value":"planted","by":"someone"}',
    "a private mark with a value": b'{"fetched_at":999,"private":true,"value":"planted"}',
    "bytes that are not base64": b'{"fetched_at":999,"value":{"b":["planted"]}}',
}


class TestPlantedRecords:
    """A record that is not exactly what the library writes is absent, then replaced."""

    @pytest.mark.parametrize("content", PLANTED.values(), ids=PLANTED.keys())
    def test_planted_record_is_replaced(self, shared_folder: Path, content: bytes) -> None:
        """The call fetches, returns the fetched value, and the fetch replaces the file."""
        plant(record_path(shared_folder), content)
        shared, calls = fetched_once(shared_folder)
        assert shared.load() == ("fetched", NOW)
        assert (calls, stored_value(record_path(shared_folder))) == ([1], "fetched")
        assert shared.load() == ("fetched", NOW)
        assert calls == [1]

    def test_oversized_record_is_not_read(self, shared_folder: Path) -> None:
        """A record larger than the bound is absent: it is never read into memory."""
        with open(record_path(shared_folder), "wb") as stream:
            stream.truncate(MAX_RECORD_BYTES + 1)
        shared, calls = fetched_once(shared_folder)
        assert shared.load() == ("fetched", NOW)
        assert calls == [1]

    def test_fifo_at_the_record_path_does_not_block(self, shared_folder: Path) -> None:
        """A FIFO at the record path is absent: the read does not wait for a writer."""
        fifo = record_path(shared_folder)
        os.mkfifo(fifo, 0o600)
        shared, _ = fetched_once(shared_folder)
        got: list[Any] = []
        reader = threading.Thread(target=lambda: got.append(shared.load()), daemon=True)
        reader.start()
        reader.join(timeout=10)
        if reader.is_alive():  # unblock the reader stuck in open() before failing
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            reader.join(timeout=10)
        assert got == [("fetched", NOW)]
        assert stored_value(fifo) == "fetched"

    @pytest.mark.parametrize("planted", ["directory", "symlink", "fifo"])
    def test_unusable_lock_falls_back_to_a_direct_fetch(
        self, shared_folder: Path, tmp_path: Path, planted: str
    ) -> None:
        """A folder, symlink or FIFO at the lock path: the call fetches without the tier."""
        lock = shared_folder / (file_stem(KEY) + ".lock")
        if planted == "directory":
            lock.mkdir(mode=0o700)
        elif planted == "symlink":
            lock.symlink_to(tmp_path / "elsewhere")
        else:
            os.mkfifo(lock, 0o600)
        shared, calls = fetched_once(shared_folder)
        assert [shared.load(), shared.load(force=True)] == [("fetched", NOW)] * 2
        assert calls == [1, 1]
        assert not record_path(shared_folder).exists()
        assert not (tmp_path / "elsewhere").exists()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def plant_over_the_record(folder: Path, value: Any) -> None:
    """Replace the one record file of `folder` with a fresh one holding `value`."""
    (record,) = folder.glob("*.json")
    document = {"fetched_at": time.monotonic(), "value": encode(value)}
    plant(record, json.dumps(document).encode())


class TestPlantedTypes:
    """A record holding a value of another type than the provider fetches is absent."""

    @pytest.mark.parametrize(
        "planted", [{"planted": "dict"}, b"planted-bytes", [["nested"]], [b"bytes"]]
    )
    def test_parameter_is_served_text_only(
        self, aws: None, shared_folder: Path, planted: Any
    ) -> None:
        """SSMParameter never serves a dict, bytes, or a list of anything but text."""
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name="/app/table", Value="orders", Type="String")
        assert SSMParameter("/app/table", shared=True, client=client)() == "orders"
        plant_over_the_record(shared_folder, planted)
        assert SSMParameter("/app/table", shared=True, client=client)() == "orders"
        assert SSMParameter("/app/table", shared=True, client=client)() == "orders"

    @pytest.mark.parametrize("planted", ["planted-text", {"a": "1"}, {"a": "1", "b": {"c": "d"}}])
    def test_group_is_served_its_own_keys_only(
        self, aws: None, shared_folder: Path, planted: Any
    ) -> None:
        """SSMParameters never serves text, nor a dict missing one of its keys or holding a dict."""
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name="/app/a", Value="1", Type="String")
        client.put_parameter(Name="/app/b", Value="2", Type="String")
        expected = {"a": "1", "b": "2"}
        assert SSMParameters(["/app/a", "/app/b"], shared=True, client=client)() == expected
        plant_over_the_record(shared_folder, planted)
        assert SSMParameters(["/app/a", "/app/b"], shared=True, client=client)() == expected

    def test_secret_is_served_text_or_bytes_only(self, aws: None, shared_folder: Path) -> None:
        """Secret never serves a dict planted in its record."""
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(Name="app/token", SecretString="token")
        assert Secret("app/token", shared=True, client=client)() == "token"
        plant_over_the_record(shared_folder, {"planted": "dict"})
        assert Secret("app/token", shared=True, client=client)() == "token"


class TestPlantedCopyRecords:
    """S3 copy records: a field of the wrong type or a future done_at is absent."""

    def edit_record(self, folder: Path, **fields: Any) -> None:
        (record,) = folder.glob("*.json")
        document = json.loads(record.read_bytes())
        document["value"]["d"].update(fields)
        plant(record, json.dumps(document).encode())

    def test_size_of_another_type_is_absent(
        self, aws: None, shared_folder: Path, tmp_path: Path
    ) -> None:
        """A copy record with a list as `size` is absent: the copy is downloaded again."""
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="models")
        client.put_object(Bucket="models", Key="m.json", Body=b"v1")
        local = tmp_path / "m.json"
        assert S3File("s3://models/m.json", local_path=local, client=client)() == local
        self.edit_record(shared_folder, size=["2"])
        again = S3File("s3://models/m.json", local_path=local, client=client, shared=True)
        assert again().read_bytes() == b"v1"

    def test_done_at_in_the_future_does_not_pin_the_copy(
        self, aws: None, shared_folder: Path, tmp_path: Path
    ) -> None:
        """A `done_at` of 1e300 is absent: refresh() downloads the object that changed."""
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="models")
        client.put_object(Bucket="models", Key="m.json", Body=b"v1")
        provider = S3File("s3://models/m.json", local_path=tmp_path / "m.json", client=client)
        assert provider().read_bytes() == b"v1"
        self.edit_record(shared_folder, done_at="1e300")
        client.put_object(Bucket="models", Key="m.json", Body=b"v2")
        provider.refresh()
        assert provider().read_bytes() == b"v2"


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 32 inodes mounted for the test (root only; skipped with the reason otherwise)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,nr_inodes=32,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def use_every_inode(folder: Path) -> None:
    """Create empty files in `folder` until the file system has no inode left."""
    for index in range(10_000):
        try:
            (folder / f"filler-{index}").touch()
        except OSError:
            return
    raise AssertionError("the file system never ran out of inodes")


class TestNoFreeInodes:
    """With no inode left, fetches go without the shared tier instead of failing."""

    def test_lock_cannot_be_created(self, tiny_tmpfs: Path) -> None:
        """The folder exists but no lock file fits: the value is fetched directly."""
        folder = tiny_tmpfs / "shared"
        folder.mkdir(mode=0o700)
        use_every_inode(tiny_tmpfs)
        shared, calls = fetched_once(folder)
        assert [shared.load(), shared.load()] == [("fetched", NOW)] * 2
        assert calls == [1, 1]

    def test_folder_cannot_be_created(
        self, tiny_tmpfs: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Not even the folder fits: a provider still fetches, without the tier."""
        use_every_inode(tiny_tmpfs)
        monkeypatch.setenv("LAMBDA_CACHE_DI_DIR", str(tiny_tmpfs / "shared"))
        with mock_aws():
            client = boto3.client("ssm", region_name="us-east-1")
            client.put_parameter(Name="/app/table", Value="orders", Type="String")
            provider = SSMParameter("/app/table", shared=True, client=client)
            assert [provider(), provider.refresh()] == ["orders", "orders"]
