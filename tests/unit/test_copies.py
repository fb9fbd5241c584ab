"""copy, deepcopy and pickle of cached providers and containers: a cold copy, or TypeError."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from dependency_injector import containers, providers
from moto import mock_aws

from lambda_cache_di import CachedProvider, S3File, Secret, Secrets, SSMParameter


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name="/app/x", Value="x-value", Type="String")
        client.put_parameter(Name="/app/y", Value="y-value", Type="String")
        yield client


class App(containers.DeclarativeContainer):
    config = providers.Configuration()
    x = SSMParameter("/app/x", transform=str.upper)
    lazy = SSMParameter(config.name)


def cold_and_working(original: CachedProvider[Any], copied: CachedProvider[Any]) -> None:
    """The copy is another provider, empty, and fetches on its own."""
    assert copied is not original
    assert copied.age is None
    assert copied.stats.misses == 0
    assert copied() == original()
    assert copied.stats.misses == 1


class TestProviders:
    """One provider."""

    @pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
    def test_copy_is_cold(self, copier: Any, ssm: Any) -> None:
        """A copy of a warm provider has no value and fetches when called."""
        provider = SSMParameter("/app/x", transform=str.upper, client=ssm)
        assert provider() == "X-VALUE"
        cold_and_working(provider, copier(provider))

    @pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
    def test_copy_of_every_kind(self, copier: Any, tmp_path: Path) -> None:
        """Each kind keeps its arguments through a copy."""
        originals: list[CachedProvider[Any]] = [
            Secret("/app/db", version_stage="AWSPREVIOUS", transform="json"),
            Secrets({"db": "/app/db"}),
            S3File("s3://bucket-name/key.json", local_path=tmp_path / "k.json"),
        ]
        for original in originals:
            copied = copier(original)
            assert type(copied) is type(original)
            assert repr(copied) == repr(original)
            assert copied.transform == original.transform

    def test_copy_keeps_provider_argument(self) -> None:
        """A copy of a resolved lazy provider resolves again from the same option."""
        container = App()
        container.config.name.from_value("/app/y")
        assert container.lazy.name.full == "/app/y"
        copied = copy.copy(container.lazy)
        assert repr(copied).startswith("<SSMParameter (not resolved: config.name)")
        container.config.name.from_value("/app/x")
        assert copied.name.full == "/app/x"

    def test_pickle_refused(self) -> None:
        """pickle raises TypeError at once, naming the provider type."""
        with pytest.raises(TypeError) as caught:
            pickle.dumps(SSMParameter("/app/x"))
        assert str(caught.value) == (
            "SSMParameter cannot be pickled: it holds a lock and a live cache; "
            "build the container in each process instead"
        )


class TestContainers:
    """A container instance holding cached providers."""

    def test_deepcopy_is_cold(self, ssm: Any) -> None:
        """A deep copy of a warm container holds cold providers that work."""
        container = App()
        container.set_providers(x=SSMParameter("/app/x", client=ssm))
        assert container.x() == "x-value"
        copied = copy.deepcopy(container)
        cold_and_working(container.x, copied.x)

    def test_shallow_copy_shares_providers(self, ssm: Any) -> None:
        """copy.copy of a container shares its providers (dependency-injector's rule); they work."""
        container = App()
        container.set_providers(x=SSMParameter("/app/x", client=ssm))
        copied = copy.copy(container)
        assert copied.x is container.x
        assert copied.x() == "x-value"

    def test_pickle_refused(self) -> None:
        """pickle of a container holding a cached provider raises TypeError."""
        with pytest.raises(TypeError):
            pickle.dumps(App())
