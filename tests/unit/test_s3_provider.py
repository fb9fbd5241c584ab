"""S3File without a network: definitions, properties, copies, overrides, the vanished-file check."""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from dependency_injector import containers

from lambda_cache_di import ConfigurationError, S3File
from lambda_cache_di.core.names import S3Location
from lambda_cache_di.fetchers.clients import client_origin
from lambda_cache_di.fetchers.s3 import local_file_name
from lambda_cache_di.testing import FakeClock

URI = "s3://cache-bucket/models/churn.json"
REQUEST = {"Bucket": "cache-bucket", "Key": "models/churn.json"}
ETAG = '"e1"'


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    s3 = boto3.client("s3", region_name="us-east-1")
    with Stubber(s3) as stubber:
        yield s3, stubber
        stubber.assert_no_pending_responses()


def respond(stubber: Stubber, data: bytes, **expected: str) -> None:
    stubber.add_response(
        "get_object",
        {
            "Body": StreamingBody(io.BytesIO(data), len(data)),
            "ContentLength": len(data),
            "ETag": ETAG,
        },
        {**REQUEST, **expected},
    )


class TestDefinition:
    """Bad definitions fail at construction; good ones expose what they name."""

    @pytest.mark.parametrize(
        "uri",
        [
            "s3:/cache-bucket/key",
            "http://cache-bucket/key",
            "s3:///key",
            "s3://Cache_Bucket/key",
            "s3://ab/key",
            "s3://192.168.1.1/key",
            "s3://cache..bucket/key",
            "s3://cache-bucket",
            "s3://cache-bucket/",
            "s3://cache-bucket/models/",
            "s3://cache-bucket/" + "k" * 1025,
            "",
            42,
        ],
    )
    def test_bad_uri(self, uri: Any) -> None:
        """Malformed URIs, invalid buckets, missing keys and folder keys are refused."""
        with pytest.raises(ConfigurationError):
            S3File(uri)

    @pytest.mark.parametrize(
        "options",
        [
            {"check_before_download": "yes"},
            {"check_before_download": 1},
            {"local_path": 42},
            {"local_path": b"/tmp/x"},
            {"local_path": ""},
            {"local_path": "models/"},
            {"local_path": "models/.."},
            {"local_path": "models/."},
            {"local_path": "."},
            {"directory": 3},
            {"free_space": 100},
        ],
    )
    def test_bad_options(self, options: dict[str, Any]) -> None:
        """Wrong types and paths that name a folder are refused."""
        with pytest.raises(ConfigurationError):
            S3File(URI, **options)

    def test_local_path_may_not_be_an_existing_directory(self, tmp_path: Path) -> None:
        """A local_path that is a directory is refused with its name."""
        with pytest.raises(ConfigurationError, match="is an existing directory"):
            S3File(URI, local_path=tmp_path)

    def test_properties(self, tmp_path: Path) -> None:
        """location, local_path, check_before_download and service describe the file."""
        provider = S3File(URI, check_before_download=False, directory=tmp_path)
        assert provider.location == S3Location("cache-bucket", "models/churn.json")
        origin = client_origin(provider.resolve_client())
        assert provider.local_path == tmp_path / local_file_name(provider.location, origin)
        assert provider.check_before_download is False
        assert provider.service == "s3"
        assert provider.resource == URI

    def test_default_folder_is_the_shared_folder(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without local_path or directory, copies go to lambda-cache-di-<uid> in the temp dir."""
        monkeypatch.delenv("LAMBDA_CACHE_DI_DIR")
        provider = S3File(URI)
        assert provider.directory == Path(tempfile.gettempdir()) / f"lambda-cache-di-{os.getuid()}"
        assert provider.local_path.parent == provider.directory
        assert provider.check_before_download is True

    def test_relative_local_path_is_made_absolute(self) -> None:
        """A relative local_path is taken from the working folder at construction."""
        assert S3File(URI, local_path="churn.json").local_path == Path.cwd() / "churn.json"

    def test_repr_names_the_uri(self) -> None:
        """repr shows the URI and the age, never the contents."""
        assert repr(S3File(URI)) == f"<S3File '{URI}' max_age=60s not fetched>"


class TestContainer:
    """Container instances copy the definition and start cold."""

    def test_copy_keeps_every_argument(self, tmp_path: Path) -> None:
        """A container instance's provider has the same URI, local path and check flag."""

        class Files(containers.DeclarativeContainer):
            model = S3File(
                URI,
                check_before_download=False,
                local_path=tmp_path / "m.json",
                max_age_in_seconds=5,
            )

        copied = Files().model
        assert copied is not Files.model
        assert (copied.location, copied.local_path, copied.check_before_download) == (
            Files.model.location,
            tmp_path / "m.json",
            False,
        )
        assert copied.max_age_in_seconds == 5

    def test_override_with_a_fake_path_makes_no_call(self, stubbed: Any, tmp_path: Path) -> None:
        """An overridden S3File returns the fake Path and never fetches."""
        s3, _ = stubbed
        provider = S3File(URI, client=s3, directory=tmp_path)
        fake = tmp_path / "fake.json"
        with provider.override(fake):
            assert provider() == fake
        assert provider.stats.misses == 0


class TestFetching:
    """The warm path makes no request; an expired copy is checked with its ETag."""

    def test_fresh_copy_makes_no_request(self, stubbed: Any, tmp_path: Path) -> None:
        """Three calls within max age make one GetObject."""
        s3, stubber = stubbed
        respond(stubber, b"{}")
        provider = S3File(URI, client=s3, directory=tmp_path)
        assert [provider() for _ in range(3)] == [provider.local_path] * 3
        assert (provider.stats.hits, provider.stats.misses) == (2, 1)

    def test_expired_copy_is_checked_with_its_etag(self, stubbed: Any, tmp_path: Path) -> None:
        """After expiry the request carries If-None-Match with the stored ETag."""
        s3, stubber = stubbed
        clock = FakeClock()
        respond(stubber, b"{}")
        stubber.add_client_error(
            "get_object",
            service_error_code="304",
            http_status_code=304,
            expected_params={**REQUEST, "IfNoneMatch": ETAG},
        )
        provider = S3File(URI, client=s3, directory=tmp_path, clock=clock)
        path = provider()
        clock.tick(60)
        assert provider() == path
        assert provider.age == 0
        assert path.read_bytes() == b"{}"

    def test_refresh_is_conditional_too(self, stubbed: Any, tmp_path: Path) -> None:
        """refresh() sends If-None-Match when a copy and its ETag exist."""
        s3, stubber = stubbed
        respond(stubber, b"{}")
        respond(stubber, b"[]", IfNoneMatch=ETAG)
        provider = S3File(URI, client=s3, directory=tmp_path)
        provider()
        assert provider.refresh().read_bytes() == b"[]"

    def test_missing_folder_is_created_private(self, stubbed: Any, tmp_path: Path) -> None:
        """A missing folder is created with mode 0700, the file with mode 0600."""
        s3, stubber = stubbed
        respond(stubber, b"{}")
        path = S3File(URI, client=s3, directory=tmp_path / "cache")()
        assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_vanished_copy_is_fetched_without_condition(self, stubbed: Any, tmp_path: Path) -> None:
        """A deleted copy is downloaded again, unconditionally, though the entry is fresh."""
        s3, stubber = stubbed
        respond(stubber, b"{}")
        respond(stubber, b"{}")
        provider = S3File(URI, client=s3, directory=tmp_path)
        provider().unlink()
        assert provider().read_bytes() == b"{}"
        assert (provider.stats.hits, provider.stats.misses) == (1, 2)
