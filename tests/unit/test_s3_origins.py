"""S3 copies of one bucket and key from two origins (endpoint, region, identity) stay apart."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from lambda_cache_di import S3File

URI = "s3://cache-bucket/models/churn.json"
HOME = {"region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:9001"}
ORIGINS = {
    "endpoint": {**HOME, "endpoint_url": "http://127.0.0.1:9002"},
    "region": {**HOME, "region_name": "eu-west-1"},
    "identity": {
        **HOME,
        "aws_access_key_id": "AKIAOTHERACCOUNT0001",
        "aws_secret_access_key": "other-secret",
    },
}


def stubbed_client(settings: dict[str, str], body: bytes) -> tuple[Any, Stubber]:
    """A real S3 client (never reaching the network) whose one GetObject returns `body`."""
    client = boto3.client("s3", **settings)
    stubber = Stubber(client)
    response = {
        "Body": StreamingBody(io.BytesIO(body), len(body)),
        "ContentLength": len(body),
        "ETag": f'"{body.decode()}"',
    }
    stubber.add_response("get_object", response)
    stubber.activate()
    return client, stubber


@pytest.fixture(params=ORIGINS.values(), ids=ORIGINS.keys())
def two_clients(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """A home client serving b"home" and one of another origin serving b"away"."""
    home, home_stubs = stubbed_client(HOME, b"home")
    away, away_stubs = stubbed_client(request.param, b"away")
    yield home, away
    home_stubs.assert_no_pending_responses()
    away_stubs.assert_no_pending_responses()


class TestTwoOrigins:
    """Each origin gets its own copy, shared or not."""

    @pytest.mark.parametrize("shared", [True, False])
    def test_each_origin_keeps_its_own_copy(
        self, two_clients: tuple[Any, Any], tmp_path: Path, shared: bool
    ) -> None:
        """The same URI from two origins: two files, each with its own origin's bytes."""
        home, away = two_clients
        from_home = S3File(URI, client=home, directory=tmp_path, shared=shared)
        from_away = S3File(URI, client=away, directory=tmp_path, shared=shared)
        assert from_home().read_bytes() == b"home"
        assert from_away().read_bytes() == b"away"
        assert from_home().read_bytes() == b"home"
        assert from_home.local_path != from_away.local_path

    def test_one_local_path_is_not_served_across_origins(
        self, two_clients: tuple[Any, Any], tmp_path: Path
    ) -> None:
        """Two origins told to use one local_path: the second asks its own origin, not the copy."""
        home, away = two_clients
        path = tmp_path / "churn.json"
        assert S3File(URI, client=home, local_path=path, shared=True)().read_bytes() == b"home"
        assert S3File(URI, client=away, local_path=path, shared=True)().read_bytes() == b"away"
