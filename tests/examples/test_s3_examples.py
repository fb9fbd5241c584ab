"""The S3 example handlers, against the moto server and with providers overridden by fake paths."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from examples.app.churn_model import load_model
from lambda_cache_di import S3File, set_clock
from lambda_cache_di.providers.discovery import cached_providers
from lambda_cache_di.testing import FakeClock

MODEL = {"version": 1, "bias": 0.5, "weights": {"tenure": -0.25, "tickets": 1.0}}
FEATURES = {"tenure": 2.0, "tickets": 3.0}


@pytest.fixture
def s3(aws_client: Any) -> Any:
    client = aws_client("s3")
    client.create_bucket(Bucket="bucket-name")
    client.create_bucket(Bucket="models-bucket")
    put(client, "bucket-name", "path/to/object.json", {"status": "ok"})
    put(client, "bucket-name", "path/to/flags.json", {"beta": True})
    put(client, "models-bucket", "churn/model.json", MODEL)
    return client


def put(client: Any, bucket: str, key: str, document: object) -> None:
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())


@pytest.fixture
def load(cold_start: Callable[[str], ModuleType]) -> Iterator[Callable[[str], ModuleType]]:
    """Cold-start an example module; afterwards remove the copies it left in the temp folder."""
    loaded: list[ModuleType] = []

    def start(name: str) -> ModuleType:
        module = cold_start(name)
        loaded.append(module)
        return module

    yield start
    for module in loaded:
        for _, provider in cached_providers(module.container):
            if isinstance(provider, S3File):
                provider.local_path.unlink(missing_ok=True)


def get_object_conditions(provider: S3File) -> list[tuple[str, str | None]]:
    """Record the key and If-None-Match of every GetObject the provider's client makes."""
    conditions: list[tuple[str, str | None]] = []
    provider.resolve_client().meta.events.register(
        "before-parameter-build.s3.GetObject",
        lambda params, **_: conditions.append((params["Key"], params.get("IfNoneMatch"))),
    )
    return conditions


class TestAgainstMoto:
    """Each handler module imported at a cold start and invoked against moto."""

    def test_single_file(self, load: Any, s3: Any) -> None:
        """The status is read from the copy, which is kept within the default minute."""
        module = load("examples.s3_single_file")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"status": "ok"}
        put(s3, "bucket-name", "path/to/object.json", {"status": "degraded"})
        clock.tick(14)  # a first value lives at least a quarter of its max age
        assert module.handler({}, None) == {"status": "ok"}
        clock.tick(46)  # 60 s: expired whatever the spread
        assert module.handler({}, None) == {"status": "degraded"}

    def test_longer_max_age(self, load: Any, s3: Any) -> None:
        """A five-minute max age keeps a first copy for 75 to 300 s."""
        module = load("examples.s3_longer_max_age")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"status": "ok"}
        put(s3, "bucket-name", "path/to/object.json", {"status": "degraded"})
        clock.tick(74)  # a first value lives at least a quarter of its max age
        assert module.handler({}, None) == {"status": "ok"}
        clock.tick(226)  # 300 s: expired whatever the spread
        assert module.handler({}, None) == {"status": "degraded"}

    def test_check_before_download(self, load: Any, s3: Any) -> None:
        """After expiry the checked file sends its ETag; the other is downloaded unconditionally."""
        module = load("examples.s3_check_before_download")
        clock = FakeClock()
        set_clock(module.container, clock)
        requests = get_object_conditions(module.container.status_file)
        assert module.handler({}, None) == {"status": "ok", "flags": {"beta": True}}
        clock.tick(300)
        assert module.handler({}, None) == {"status": "ok", "flags": {"beta": True}}
        etag = s3.head_object(Bucket="bucket-name", Key="path/to/object.json")["ETag"]
        assert requests == [
            ("path/to/object.json", None),
            ("path/to/flags.json", None),
            ("path/to/object.json", etag),
            ("path/to/flags.json", None),
        ]

    def test_model_is_parsed_once_per_download(self, load: Any, s3: Any) -> None:
        """Warm calls and an unchanged refresh reuse the parsed model; a new object is parsed."""
        module = load("examples.s3_model")
        clock = FakeClock()
        set_clock(module.container, clock)
        event = {"features": FEATURES}
        requests = get_object_conditions(module.container.model)
        assert module.handler(event, None) == {"version": 1, "score": 3.0}
        first = module.container.model()
        assert module.handler(event, None) == {"version": 1, "score": 3.0}
        clock.tick(24 * 60 * 60)
        assert module.handler(event, None) == {"version": 1, "score": 3.0}
        # The refresh was answered 304: the very same parsed object, no second parse.
        assert module.container.model() is first
        etag = s3.head_object(Bucket="models-bucket", Key="churn/model.json")["ETag"]
        assert requests == [("churn/model.json", None), ("churn/model.json", etag)]
        put(s3, "models-bucket", "churn/model.json", {**MODEL, "version": 2, "bias": 1.5})
        clock.tick(24 * 60 * 60)
        assert module.handler(event, None) == {"version": 2, "score": 4.0}
        assert module.container.model() is not first


class TestWithFakes:
    """The same handlers with each S3File overridden by a local file: no AWS at all."""

    @pytest.fixture
    def status_path(self, tmp_path: Path) -> Path:
        path = tmp_path / "status.json"
        path.write_text('{"status": "fake"}')
        return path

    def test_single_file(self, load: Any, status_path: Path) -> None:
        """An overridden provider hands the fake path to the handler."""
        module = load("examples.s3_single_file")
        with module.container.status_file.override(status_path):
            assert module.handler({}, None) == {"status": "fake"}
        assert module.container.status_file.stats.misses == 0

    def test_longer_max_age(self, load: Any, status_path: Path) -> None:
        """Overriding works for any max age."""
        module = load("examples.s3_longer_max_age")
        with module.container.status_file.override(status_path):
            assert module.handler({}, None) == {"status": "fake"}

    def test_check_before_download(self, load: Any, status_path: Path, tmp_path: Path) -> None:
        """Both files are overridden on their own."""
        module = load("examples.s3_check_before_download")
        flags_path = tmp_path / "flags.json"
        flags_path.write_text('{"beta": false}')
        container = module.container
        with container.status_file.override(status_path), container.flags_file.override(flags_path):
            assert module.handler({}, None) == {"status": "fake", "flags": {"beta": False}}

    def test_model(self, load: Any, tmp_path: Path) -> None:
        """The transform itself reads a local model file; an overridden model needs no S3."""
        module = load("examples.s3_model")
        model_path = tmp_path / "model.json"
        model_path.write_text(json.dumps({**MODEL, "version": 7}))
        fake_model = load_model(model_path)
        with module.container.model.override(fake_model):
            assert module.handler({"features": FEATURES}, None) == {"version": 7, "score": 3.0}
            assert module.handler({"features": {}}, None) == {"version": 7, "score": 0.5}
        assert module.container.model.stats.misses == 0
