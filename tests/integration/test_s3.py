"""S3File against the moto server over HTTP, directly and through the fault proxy."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError

from lambda_cache_di import FetchError, NotFoundError, S3File
from lambda_cache_di.testing import FakeClock

from ..faults.proxy import Fault, FaultProxy

BUCKET = "cache-bucket"
OTHER_BUCKET = "other-bucket"
URI = f"s3://{BUCKET}/config/status.json"


@pytest.fixture
def s3(aws_client: Any) -> Any:
    client = aws_client("s3")
    for bucket in (BUCKET, OTHER_BUCKET):
        client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=BUCKET, Key="config/status.json", Body=b'{"status": "ok"}')
    return client


@pytest.fixture
def proxy(s3: Any, moto_endpoint: str) -> Iterator[FaultProxy]:
    server = FaultProxy(moto_endpoint)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def proxied_s3(aws_client: Any, proxy: FaultProxy) -> Any:
    return aws_client("s3", endpoint_url=proxy.url)


def get_object_calls(client: Any) -> list[dict[str, Any]]:
    """Record the parameters of every GetObject the client makes."""
    calls: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: calls.append(dict(params))
    )
    return calls


def listing(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


class TestDownload:
    """The first call downloads; the file is private and lies in the folder."""

    def test_first_call_writes_a_private_copy(self, s3: Any, tmp_path: Path) -> None:
        """The copy holds the object's bytes, has mode 0600 and is the only file in the folder."""
        provider = S3File(URI, client=s3, directory=tmp_path)
        path = provider()
        assert path == provider.local_path
        assert path.read_bytes() == b'{"status": "ok"}'
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert listing(tmp_path) == [path.name]
        assert path.name.endswith("-status.json")

    def test_local_path_is_used_as_given(self, s3: Any, tmp_path: Path) -> None:
        """`local_path=` puts the copy exactly there, creating missing folders."""
        target = tmp_path / "models" / "status.json"
        assert S3File(URI, local_path=target, client=s3)() == target
        assert target.read_bytes() == b'{"status": "ok"}'
        assert stat.S_IMODE(target.stat().st_mode) == 0o600

    def test_missing_key_and_bucket_are_not_found(self, s3: Any, tmp_path: Path) -> None:
        """NoSuchKey and NoSuchBucket both raise NotFoundError naming the URI."""
        for uri in (f"s3://{BUCKET}/absent.json", "s3://no-such-bucket/status.json"):
            with pytest.raises(NotFoundError) as caught:
                S3File(uri, client=s3, directory=tmp_path)()
            assert caught.value.names == (uri,)
        assert listing(tmp_path) == []


class TestNoCollision:
    """Objects with the same file name never share a local copy."""

    def test_same_name_in_two_buckets_and_two_prefixes(self, s3: Any, tmp_path: Path) -> None:
        """Three `status.json` objects give three files with their own contents."""
        s3.put_object(Bucket=OTHER_BUCKET, Key="config/status.json", Body=b"other bucket")
        s3.put_object(Bucket=BUCKET, Key="dev/status.json", Body=b"other prefix")
        paths = [
            S3File(uri, client=s3, directory=tmp_path)()
            for uri in (
                URI,
                f"s3://{OTHER_BUCKET}/config/status.json",
                f"s3://{BUCKET}/dev/status.json",
            )
        ]
        assert [path.read_bytes() for path in paths] == [
            b'{"status": "ok"}',
            b"other bucket",
            b"other prefix",
        ]
        assert len(set(paths)) == 3


class TestRefresh:
    """After expiry: a conditional request, or a new download."""

    def test_unchanged_object_costs_one_request_and_no_body(
        self, proxied_s3: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """An expired copy of an unchanged object is kept after one GetObject answered 304."""
        clock = FakeClock()
        calls = get_object_calls(proxied_s3)
        provider = S3File(URI, client=proxied_s3, directory=tmp_path, clock=clock)
        path = provider()
        inode = path.stat().st_ino
        clock.tick(60)
        assert provider() == path
        assert [exchange.sent for exchange in proxy.exchanges] == [16, 0]
        assert [call.get("IfNoneMatch") for call in calls] == [None, f'"{_md5(path)}"']
        assert path.stat().st_ino == inode
        clock.tick(59)
        assert provider() == path  # the 304 restarted the entry's age
        assert proxy.total == 2

    def test_changed_object_replaces_the_copy(self, s3: Any, tmp_path: Path) -> None:
        """A new version of the object replaces the local copy after expiry."""
        clock = FakeClock()
        provider = S3File(URI, client=s3, directory=tmp_path, clock=clock, jitter=0)
        path = provider()
        s3.put_object(Bucket=BUCKET, Key="config/status.json", Body=b'{"status": "degraded"}')
        clock.tick(59)
        assert provider().read_bytes() == b'{"status": "ok"}'
        clock.tick(1)
        assert provider().read_bytes() == b'{"status": "degraded"}'
        assert listing(tmp_path) == [path.name]

    def test_without_check_every_refresh_downloads(
        self, proxied_s3: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """`check_before_download=False` downloads the whole body at each expiry."""
        clock = FakeClock()
        calls = get_object_calls(proxied_s3)
        provider = S3File(
            URI, check_before_download=False, client=proxied_s3, directory=tmp_path, clock=clock
        )
        provider()
        clock.tick(60)
        provider()
        assert [exchange.sent for exchange in proxy.exchanges] == [16, 16]
        assert [call.get("IfNoneMatch") for call in calls] == [None, None]

    def test_deleted_copy_is_downloaded_again_while_fresh(
        self, proxied_s3: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """When the file vanishes, the next call downloads it unconditionally, expiry or not."""
        clock = FakeClock()
        calls = get_object_calls(proxied_s3)
        provider = S3File(URI, client=proxied_s3, directory=tmp_path, clock=clock)
        path = provider()
        path.unlink()
        clock.tick(1)
        assert provider().read_bytes() == b'{"status": "ok"}'
        assert [call.get("IfNoneMatch") for call in calls] == [None, None]
        path.unlink()
        clock.tick(60)
        assert provider().read_bytes() == b'{"status": "ok"}'
        assert [call.get("IfNoneMatch") for call in calls] == [None, None, None]


class TestFailedDownload:
    """A failed download leaves the previous copy as it was and no temporary file."""

    def test_truncated_body_keeps_the_old_copy(
        self, s3: Any, proxied_s3: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """A body cut after 10 bytes raises a transient FetchError chained to botocore's error."""
        clock = FakeClock()
        provider = S3File(URI, client=proxied_s3, directory=tmp_path, clock=clock)
        path = provider()
        s3.put_object(Bucket=BUCKET, Key="config/status.json", Body=b"x" * 5000)
        proxy.mode, proxy.keep_bytes = Fault.TRUNCATE, 10
        clock.tick(60)
        with pytest.raises(FetchError) as caught:
            provider()
        assert caught.value.transient is True
        assert isinstance(caught.value.__cause__, BotoCoreError)
        assert str(caught.value).startswith(f"GetObject failed for {URI}: ")
        assert path.read_bytes() == b'{"status": "ok"}'
        assert listing(tmp_path) == [path.name]
        proxy.clear()
        assert provider.refresh().read_bytes() == b"x" * 5000

    def test_truncated_first_download_leaves_nothing(
        self, proxied_s3: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """A first download cut short leaves the folder empty."""
        proxy.mode, proxy.keep_bytes = Fault.TRUNCATE, 3
        with pytest.raises(FetchError):
            S3File(URI, client=proxied_s3, directory=tmp_path)()
        assert listing(tmp_path) == []

    def test_truncated_refresh_may_serve_the_old_copy(
        self, s3: Any, proxied_s3: Any, proxy: FaultProxy, tmp_path: Path
    ) -> None:
        """With stale_if_error_in_seconds, a truncated refresh answers with the old copy."""
        clock = FakeClock()
        provider = S3File(
            URI,
            client=proxied_s3,
            directory=tmp_path,
            clock=clock,
            stale_if_error_in_seconds=30,
        )
        path = provider()
        s3.put_object(Bucket=BUCKET, Key="config/status.json", Body=b"x" * 5000)
        proxy.mode, proxy.keep_bytes = Fault.TRUNCATE, 10
        clock.tick(60)
        assert provider() == path
        assert path.read_bytes() == b'{"status": "ok"}'
        assert (provider.stats.errors, provider.stats.stale) == (1, 1)

    def test_too_little_free_space_keeps_the_old_copy(self, s3: Any, tmp_path: Path) -> None:
        """An object larger than the free space is refused before any byte is written."""
        free = {"bytes": 10**9}
        clock = FakeClock()
        provider = S3File(
            URI, client=s3, directory=tmp_path, clock=clock, free_space=lambda _: free["bytes"]
        )
        path = provider()
        s3.put_object(Bucket=BUCKET, Key="config/status.json", Body=b"y" * 2000)
        free["bytes"] = 1000
        with pytest.raises(FetchError) as caught:
            provider.refresh()
        assert str(caught.value) == (
            f"GetObject: {URI} is 2000 bytes but only 1000 bytes are free in {tmp_path}; "
            "the previous copy, if any, is kept"
        )
        assert caught.value.transient is True
        assert path.read_bytes() == b'{"status": "ok"}'
        assert listing(tmp_path) == [path.name]

    def test_too_little_free_space_serves_the_old_copy_when_stale_is_allowed(
        self, s3: Any, tmp_path: Path
    ) -> None:
        """A full disk is transient: within the stale window the old copy is still served."""
        free = {"bytes": 10**9}
        clock = FakeClock()
        provider = S3File(
            URI,
            client=s3,
            directory=tmp_path,
            clock=clock,
            max_age_in_seconds=10,
            stale_if_error_in_seconds=100,
            free_space=lambda _: free["bytes"],
        )
        path = provider()
        s3.put_object(Bucket=BUCKET, Key="config/status.json", Body=b"y" * 2000)
        free["bytes"] = 1000
        clock.tick(11)
        assert provider() == path
        assert path.read_bytes() == b'{"status": "ok"}'
        assert (provider.stats.errors, provider.stats.stale) == (1, 1)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
