"""S3 copies under concurrency (real processes and threads), a body deadline, a full disk."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di import ConfigurationError, FetchError, S3File
from lambda_cache_di.testing import FakeClock, MotoServer

from .. import workers
from ..faults.proxy import Fault, FaultProxy

BUCKET = "cache-bucket"
KEY = "models/big.bin"
URI = f"s3://{BUCKET}/{KEY}"


@pytest.fixture
def s3(aws_client: Any) -> Any:
    client = aws_client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def proxy(s3: Any, moto_endpoint: str) -> Iterator[FaultProxy]:
    with FaultProxy(moto_endpoint) as server:
        yield server


def leftovers(*folders: Path) -> list[str]:
    return sorted(p.name for folder in folders for p in folder.iterdir() if p.suffix == ".part")


def start_callers(
    count: int, threads: int, environment: dict[str, str], barrier: Any, results: Any
) -> list[Any]:
    processes = [
        workers.SPAWN.Process(
            target=workers.s3_callers, args=(environment, URI, threads, barrier, results)
        )
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    return processes


class TestOneDownloadPerEnvironment:
    """Processes, threads and providers naming one object share one download."""

    def test_eight_processes_of_four_threads(
        self, s3: Any, moto_server: MotoServer, moto_endpoint: str, shared_folder: Path
    ) -> None:
        """32 callers of a 32 MiB object: 1 GetObject, 32 complete files, no temp file, 0 errors."""
        data = os.urandom(32 * 1024 * 1024)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
        moto_server.reset_counts()
        barrier, results = workers.SPAWN.Barrier(8), workers.SPAWN.Queue()
        environment = {"AWS_ENDPOINT_URL": moto_endpoint, "LAMBDA_CACHE_DI_DIR": str(shared_folder)}
        processes = start_callers(8, 4, environment, barrier, results)
        got = [results.get(timeout=300) for _ in range(32)]
        for process in processes:
            process.join(timeout=60)
        assert got == [(len(data), hashlib.sha256(data).hexdigest())] * 32
        assert moto_server.requests["s3:GET"] == 1
        assert leftovers(shared_folder) == []

    def test_two_providers_of_one_object_in_threads(
        self, s3: Any, moto_server: MotoServer, shared_folder: Path
    ) -> None:
        """Two S3File providers naming one URI, called from 8 threads, make one GetObject."""
        from concurrent.futures import ThreadPoolExecutor

        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"x" * 300_000)
        moto_server.reset_counts()
        first, second = S3File(URI, client=s3), S3File(URI, client=s3)
        with ThreadPoolExecutor(8) as pool:
            paths = list(pool.map(lambda i: (first, second)[i % 2](), range(8)))
        assert {path.stat().st_size for path in paths} == {300_000}
        assert len(set(paths)) == 1
        assert moto_server.requests["s3:GET"] == 1


class TestCrash:
    """A process killed mid-download holds nothing back and leaves nothing that trips others."""

    def test_sigkill_mid_download(
        self, s3: Any, proxy: FaultProxy, moto_server: MotoServer, shared_folder: Path
    ) -> None:
        """Killed while its body drips, a downloader's waiters finish with complete files."""
        data = os.urandom(64 * 1024)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
        proxy.drip_bytes, proxy.drip_seconds = 1024, 0.1
        proxy.queue(Fault.DRIP)
        environment = {"AWS_ENDPOINT_URL": proxy.url, "LAMBDA_CACHE_DI_DIR": str(shared_folder)}
        results, alone, pair = (
            workers.SPAWN.Queue(),
            workers.SPAWN.Barrier(1),
            workers.SPAWN.Barrier(2),
        )
        victim = start_callers(1, 1, environment, alone, results)[0]
        deadline = time.monotonic() + 60
        while not leftovers(shared_folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(leftovers(shared_folder)) == 1
        waiters = start_callers(2, 2, environment, pair, results)
        time.sleep(0.5)
        os.kill(victim.pid or 0, signal.SIGKILL)
        got = [results.get(timeout=120) for _ in range(4)]
        for process in [victim, *waiters]:
            process.join(timeout=60)
        assert got == [(len(data), hashlib.sha256(data).hexdigest())] * 4
        assert leftovers(shared_folder) == []
        assert S3File(URI, client=s3)().read_bytes() == data


class TestDownloadDeadline:
    """A body that drips in too slowly as a whole fails after download_timeout_in_seconds."""

    def test_drip_fails_transiently_and_keeps_the_old_copy(
        self, s3: Any, aws_client: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """5000 bytes at 250 per 0.2 s (4 s) against a 1 s deadline: transient error, old copy."""
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old")
        clock = FakeClock()
        client = aws_client("s3", endpoint_url=proxy.url, read_timeout=2.0)
        provider = S3File(
            URI, client=client, directory=tmp_path, clock=clock, download_timeout_in_seconds=1
        )
        path = provider()
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"n" * 5000)
        proxy.drip_bytes, proxy.drip_seconds = 250, 0.2
        proxy.queue(Fault.DRIP)
        clock.tick(60)
        with pytest.raises(FetchError) as caught:
            provider()
        assert caught.value.transient is True
        assert str(caught.value).startswith(f"GetObject: {URI} body not complete after 1s (")
        assert path.read_bytes() == b"old"
        assert leftovers(tmp_path) == []

    def test_timeout_must_be_positive(self) -> None:
        """download_timeout_in_seconds of 0 or below is refused at construction."""
        with pytest.raises(ConfigurationError, match="download_timeout_in_seconds"):
            S3File(URI, download_timeout_in_seconds=0)
        with pytest.raises(ConfigurationError, match="download_timeout_in_seconds"):
            S3File(URI, download_timeout_in_seconds=-1)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, where a root test run may mount one."""
    folder = tmp_path / "small"
    folder.mkdir(mode=0o700)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


class TestFullDisk:
    """A disk that fills up mid-download is a passing trouble: the old copy may be served."""

    def test_no_space_is_transient_and_stale_is_served(self, s3: Any, small_disk: Path) -> None:
        """ENOSPC mid-body: transient FetchError, old copy kept and served within the window."""
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old")
        clock = FakeClock()
        provider = S3File(
            URI,
            client=s3,
            directory=small_disk,
            clock=clock,
            stale_if_error_in_seconds=30,
            free_space=lambda _: 10**12,
        )
        path = provider()
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"n" * (2 * 1024 * 1024))
        with pytest.raises(FetchError) as caught:
            provider.refresh()
        assert caught.value.transient is True
        assert "no space left" in str(caught.value)
        clock.tick(60)
        assert provider() == path
        assert path.read_bytes() == b"old"
        assert (provider.stats.errors, provider.stats.stale) == (2, 1)
        assert leftovers(small_disk) == []


class TestLocalPathChecks:
    """local_path names the file system cannot take are refused at construction."""

    def test_nul_byte(self) -> None:
        """A NUL character in local_path is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="NUL"):
            S3File(URI, local_path="/tmp/a\0b")

    def test_name_too_long(self, tmp_path: Path) -> None:
        """A 256-byte file name is refused, naming the limit; a 250-byte one is taken."""
        with pytest.raises(
            ConfigurationError, match="256 bytes; the file system takes at most 255"
        ):
            S3File(URI, local_path=tmp_path / ("n" * 256))
        assert S3File(URI, local_path=tmp_path / ("n" * 250)).local_path.name == "n" * 250

    def test_long_name_downloads_and_parents_are_private(self, s3: Any, tmp_path: Path) -> None:
        """A 250-byte name in new folders downloads; the folders it made are 0700."""
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"long")
        target = tmp_path / "a" / "b" / ("n" * 250)
        assert S3File(URI, client=s3, local_path=target)().read_bytes() == b"long"
        assert [oct(p.stat().st_mode & 0o777) for p in (target.parent.parent, target.parent)] == [
            "0o700",
            "0o700",
        ]
