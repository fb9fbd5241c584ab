"""The S3 fetcher with botocore's Stubber: local names, atomic writes, errors, free space."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, IncompleteReadError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from lambda_cache_di.core.names import S3Location
from lambda_cache_di.errors import FetchError, NotFoundError
from lambda_cache_di.fetchers.s3 import (
    Download,
    default_local_path,
    download,
    local_file_name,
    temporary_stem,
)
from lambda_cache_di.fetchers.s3_copy import CopyOptions, fetch_copy
from lambda_cache_di.testing import FakeClock

LOCATION = S3Location("cache-bucket", "config/status.json")
REQUEST = {"Bucket": "cache-bucket", "Key": "config/status.json"}
ETAG = '"0123456789abcdef"'


def digest(uri: str) -> str:
    return hashlib.sha256(uri.encode()).hexdigest()[:16]


class Body(StreamingBody):
    """A StreamingBody that remembers whether it was closed."""

    closed_by_caller = False

    def close(self) -> None:
        self.closed_by_caller = True
        super().close()


class SilentlyShortBody(Body):
    """A body that ends early without complaint, as a lenient HTTP stack might."""

    def iter_chunks(self, chunk_size: int = 1024) -> Iterator[bytes]:
        yield self.read(chunk_size)


def body(data: bytes, length: int | None = None, kind: type[Body] = Body) -> Body:
    return kind(io.BytesIO(data), len(data) if length is None else length)


@pytest.fixture
def client() -> Iterator[tuple[Any, Stubber]]:
    s3 = boto3.client("s3", region_name="us-east-1")
    with Stubber(s3) as stubber:
        yield s3, stubber
        stubber.assert_no_pending_responses()


def respond(stubber: Stubber, data: Body, length: int, **expected: str) -> None:
    stubber.add_response(
        "get_object",
        {"Body": data, "ContentLength": length, "ETag": ETAG},
        {**REQUEST, **expected},
    )


class TestLocalFileName:
    """Local names are unique per bucket and key and never leave the folder."""

    def test_name_is_digest_and_basename(self) -> None:
        """The name is 16 hex digits of the URI's SHA-256, a dash and the key's last segment."""
        assert local_file_name(LOCATION) == digest(LOCATION.uri) + "-status.json"

    def test_same_basename_elsewhere_gets_another_name(self) -> None:
        """Another bucket or another prefix gives another name."""
        names = {
            local_file_name(S3Location(bucket, key))
            for bucket, key in [
                ("cache-bucket", "config/status.json"),
                ("other-bucket", "config/status.json"),
                ("cache-bucket", "dev/status.json"),
            ]
        }
        assert len(names) == 3

    @pytest.mark.parametrize(
        ("key", "suffix"),
        [
            ("../../etc/passwd", "-passwd"),
            ("/abs", "-abs"),
            ("a/../../b", "-b"),
            ("..", "-object"),
            ("folder/.hidden", "-hidden"),
            ("données/café €.json", "-caf___.json"),
            ("a\\..\\..\\win.ini", "-a_.._.._win.ini"),
        ],
    )
    def test_hostile_keys_stay_inside(self, tmp_path: Path, key: str, suffix: str) -> None:
        """Separators, dots and odd characters are neutralised."""
        path = default_local_path(tmp_path, S3Location("cache-bucket", key))
        assert path.name == digest(f"s3://cache-bucket/{key}") + suffix
        assert path.resolve().parent == tmp_path.resolve()

    def test_long_key_is_shortened(self, tmp_path: Path) -> None:
        """A 1000-character key gives a 97-character name that keeps the key's end."""
        key = "k" * 995 + ".json"
        name = default_local_path(tmp_path, S3Location("cache-bucket", key)).name
        assert len(name) == 97
        assert name.endswith("kkk.json")

    @given(st.text(min_size=1, max_size=300))
    def test_any_key_stays_inside(self, key: str) -> None:
        """Whatever the key, the path's parent is the folder and the name has no leading dot."""
        folder = Path("/tmp/lambda-cache-di-test")
        path = default_local_path(folder, S3Location("cache-bucket", key))
        assert path.resolve().parent == folder.resolve()
        assert not path.name.startswith(".")


class TestDownload:
    """One GetObject streamed into a temporary file and renamed into place."""

    def test_writes_the_body_and_returns_the_etag(self, client: Any, tmp_path: Path) -> None:
        """The copy holds the body; the result names the path, ETag and size; the body is closed."""
        s3, stubber = client
        data = body(b"hello")
        respond(stubber, data, 5)
        target = tmp_path / "copy"
        assert download(s3, LOCATION, target) == Download(target, ETAG, 5)
        assert target.read_bytes() == b"hello"
        assert data.closed_by_caller is True

    def test_other_temporary_files_are_left_alone(self, client: Any, tmp_path: Path) -> None:
        """A download never removes a temporary file it did not create: its writer may be alive."""
        s3, stubber = client
        respond(stubber, body(b"hello"), 5)
        target = tmp_path / "copy"
        alive = f".{temporary_stem(target)}.a1a1a1a1.part"
        (tmp_path / alive).write_bytes(b"half")
        (tmp_path / ".other.x.part").write_bytes(b"not ours")
        download(s3, LOCATION, target)
        assert sorted(p.name for p in tmp_path.iterdir()) == [alive, ".other.x.part", "copy"]
        assert oct(target.stat().st_mode & 0o777) == "0o600"

    def test_leftovers_are_swept_under_the_lock(self, client: Any, tmp_path: Path) -> None:
        """fetch_copy, holding the copy's lock, removes this copy's temporary files only."""
        s3, stubber = client
        respond(stubber, body(b"hello"), 5)
        target = tmp_path / "copy"
        dead = f".{temporary_stem(target)}.deadbeef.part"
        (tmp_path / dead).write_bytes(b"half")
        (tmp_path / ".other.x.part").write_bytes(b"not ours")
        copy = fetch_copy(
            s3, LOCATION, target, CopyOptions(), clock=FakeClock(), since=0.0, max_age=None
        )
        assert (copy.etag, copy.size, copy.fetched_at) == (ETAG, 5, 1000.0)
        assert sorted(p.name for p in tmp_path.iterdir()) == [".other.x.part", "copy"]

    def test_temporary_name_is_short_for_a_long_name(self, client: Any, tmp_path: Path) -> None:
        """A 250-byte file name downloads: the temporary name is 31 bytes whatever the name."""
        s3, stubber = client
        respond(stubber, body(b"hello"), 5)
        target = tmp_path / ("n" * 250)
        assert download(s3, LOCATION, target) == Download(target, ETAG, 5)
        assert target.read_bytes() == b"hello"
        assert len(f".{temporary_stem(target)}.01234567.part") == 31

    def test_not_modified_returns_none(self, client: Any, tmp_path: Path) -> None:
        """A 304 to If-None-Match leaves the copy untouched and returns None."""
        s3, stubber = client
        stubber.add_client_error(
            "get_object",
            service_error_code="304",
            http_status_code=304,
            expected_params={**REQUEST, "IfNoneMatch": ETAG},
        )
        target = tmp_path / "copy"
        target.write_bytes(b"old")
        assert download(s3, LOCATION, target, if_none_match=ETAG) is None
        assert target.read_bytes() == b"old"

    @pytest.mark.parametrize("code", ["NoSuchKey", "NoSuchBucket"])
    def test_missing_object_is_not_found(self, client: Any, tmp_path: Path, code: str) -> None:
        """NoSuchKey and NoSuchBucket raise NotFoundError naming the URI."""
        s3, stubber = client
        stubber.add_client_error("get_object", service_error_code=code, http_status_code=404)
        with pytest.raises(NotFoundError) as caught:
            download(s3, LOCATION, tmp_path / "copy")
        assert caught.value.names == ("s3://cache-bucket/config/status.json",)

    def test_access_denied_is_a_permanent_fetch_error(self, client: Any, tmp_path: Path) -> None:
        """403 AccessDenied (a missing object without s3:ListBucket) is not a NotFoundError."""
        s3, stubber = client
        stubber.add_client_error(
            "get_object", service_error_code="AccessDenied", http_status_code=403
        )
        with pytest.raises(FetchError) as caught:
            download(s3, LOCATION, tmp_path / "copy")
        assert str(caught.value) == (
            "GetObject failed for s3://cache-bucket/config/status.json: AccessDenied"
        )
        assert caught.value.transient is False
        assert isinstance(caught.value.__cause__, ClientError)

    def test_slow_down_is_transient(self, client: Any, tmp_path: Path) -> None:
        """503 SlowDown raises a transient FetchError."""
        s3, stubber = client
        stubber.add_client_error("get_object", service_error_code="SlowDown", http_status_code=503)
        with pytest.raises(FetchError) as caught:
            download(s3, LOCATION, tmp_path / "copy")
        assert caught.value.transient is True


class TestFailedWrite:
    """A body that ends early or does not fit leaves the old copy and no temporary file."""

    @pytest.fixture
    def old_copy(self, tmp_path: Path) -> Path:
        target = tmp_path / "copy"
        target.write_bytes(b"old copy")
        return target

    def test_incomplete_read_keeps_the_old_copy(self, client: Any, old_copy: Path) -> None:
        """botocore's IncompleteReadError becomes a transient FetchError chained to it."""
        s3, stubber = client
        data = body(b"hel", length=5)
        respond(stubber, data, 5)
        with pytest.raises(FetchError) as caught:
            download(s3, LOCATION, old_copy)
        assert caught.value.transient is True
        assert isinstance(caught.value.__cause__, IncompleteReadError)
        assert old_copy.read_bytes() == b"old copy"
        assert [p.name for p in old_copy.parent.iterdir()] == ["copy"]
        assert data.closed_by_caller is True

    def test_short_body_is_caught_by_the_length_check(self, client: Any, old_copy: Path) -> None:
        """Fewer bytes than ContentLength, even without a botocore error, fail the download."""
        s3, stubber = client
        respond(stubber, body(b"hel", kind=SilentlyShortBody), 5)
        with pytest.raises(FetchError) as caught:
            download(s3, LOCATION, old_copy)
        assert str(caught.value) == (
            "GetObject: s3://cache-bucket/config/status.json body ended after 3 of 5 bytes"
        )
        assert caught.value.transient is True
        assert old_copy.read_bytes() == b"old copy"
        assert [p.name for p in old_copy.parent.iterdir()] == ["copy"]

    def test_cleanup_never_masks_the_error(self, client: Any, old_copy: Path) -> None:
        """With its temporary file gone at cleanup, a download raises its own error."""
        s3, stubber = client

        class VanishingBody(Body):
            def iter_chunks(self, chunk_size: int = 1024) -> Iterator[bytes]:
                yield b"he"
                for leftover in old_copy.parent.glob(".*.part"):
                    leftover.unlink()
                raise IncompleteReadError(actual_bytes=2, expected_bytes=5)

        respond(stubber, body(b"hello", kind=VanishingBody), 5)
        with pytest.raises(FetchError) as caught:
            download(s3, LOCATION, old_copy)
        assert isinstance(caught.value.__cause__, IncompleteReadError)
        assert caught.value.__context__ is caught.value.__cause__
        assert old_copy.read_bytes() == b"old copy"

    def test_too_little_free_space(self, client: Any, old_copy: Path) -> None:
        """An object larger than the free space: a transient refusal; the body is closed."""
        s3, stubber = client
        data = body(b"hello")
        respond(stubber, data, 5)
        with pytest.raises(FetchError) as caught:
            download(s3, LOCATION, old_copy, free_space=lambda _: 4)
        assert str(caught.value) == (
            "GetObject: s3://cache-bucket/config/status.json is 5 bytes but only 4 bytes "
            f"are free in {old_copy.parent}; the previous copy, if any, is kept"
        )
        assert caught.value.transient is True
        assert data.closed_by_caller is True
        assert old_copy.read_bytes() == b"old copy"
        assert [p.name for p in old_copy.parent.iterdir()] == ["copy"]
