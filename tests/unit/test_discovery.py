"""Discovery: every cached provider of a container, at any depth, found once and named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from dependency_injector import containers, providers
from moto import mock_aws

from lambda_cache_di import (
    CachedProvider,
    Secret,
    SSMParameter,
    invalidate_all,
    prefetch,
    set_clock,
)
from lambda_cache_di.providers.discovery import cached_providers
from lambda_cache_di.snapstart import drop_secrets
from lambda_cache_di.testing import FakeClock
from lambda_cache_di.tools.check import OK, check_container
from lambda_cache_di.tools.cli import main
from lambda_cache_di.tools.iam import policy_for
from tests.unit.graph_app import GraphApp

GRAPH_NAMES = [
    "table_name",
    "settings.flags",
    "db_secret.prod",
    "db_secret.dev",
    "db[0]",
    "db.password",
    "features[0]",
    "model_path[0]",
]


class Empty(containers.DeclarativeContainer):
    """A container without cached providers, for `check`."""

    plain = providers.Object("nothing cached here")


class Wrapper(providers.Provider[Any]):
    """A provider of a kind discovery does not know, linking to a cached one by `related`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        super().__init__()

    @property
    def related(self) -> Iterator[Any]:
        yield self.inner
        yield from super().related

    def _provide(self, args: Any, kwargs: Any) -> Any:
        return self.inner()


def fill(container: Any) -> None:
    """Give every cached provider of the container a value without AWS."""
    for _, provider in cached_providers(container):
        provider._entry.put("value")


def record_all(container: Any) -> list[str]:
    """The operation of every request any client of the container sends from now on."""
    calls: list[str] = []
    clients = {id(c): c for c in (p.resolve_client() for _, p in cached_providers(container))}
    for client in clients.values():
        client.meta.events.register(
            "provide-client-params", lambda model, **_: calls.append(model.name)
        )
    return calls


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """Every resource of GraphApp in moto, and the clients it made them with."""
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        for name in ("/app/flags/beta", "/app/flags/dark", "/app/table", "/app/features"):
            ssm.put_parameter(Name=name, Value=name.upper(), Type="String")
        secrets.create_secret(Name="/prod/db", SecretString=json.dumps({"user": "prod"}))
        for name in ("/dev/db", "/app/db/host", "/app/db/password"):
            secrets.create_secret(Name=name, SecretString=name.upper())
        s3.create_bucket(Bucket="models-bucket")
        s3.put_object(Bucket="models-bucket", Key="churn/model.json", Body=b"{}")
        yield {"ssm": ssm, "secretsmanager": secrets, "s3": s3}


class TestNames:
    """What `cached_providers` yields."""

    def test_every_depth_once_with_its_path(self) -> None:
        """Top level, nested container, Selector keys, positional and keyword arguments."""
        container = GraphApp()
        names = [name for name, _ in cached_providers(container)]
        assert names == GRAPH_NAMES

    def test_class_and_instance_alike(self) -> None:
        """A DeclarativeContainer class is walked as its instances are."""
        assert [name for name, _ in cached_providers(GraphApp)] == GRAPH_NAMES

    def test_shared_provider_found_once_by_its_shortest_path(self) -> None:
        """A provider used at the top level and as an argument is listed once, at the top."""
        secret = Secret("/app/db")
        container = containers.DynamicContainer()
        container.client = providers.Factory(dict, password=secret)
        container.secret = secret
        assert list(cached_providers(container)) == [("secret", secret)]

    def test_overriding_cached_provider(self) -> None:
        """A cached provider that overrides another is found under the overridden one's name."""
        container = containers.DynamicContainer()
        container.name = providers.Object("/app/x")
        replacement = SSMParameter("/app/replacement")
        container.parameter = SSMParameter("/app/original")
        container.parameter.override(replacement)
        named = list(cached_providers(container))
        assert [name for name, _ in named] == ["parameter", "parameter.overrides[0]"]
        assert named[1][1] is replacement

    def test_unknown_link_still_found(self) -> None:
        """A provider reached through `related` of an unknown kind (say, Derived) is found."""
        inner = Secret("/app/db")
        container = containers.DynamicContainer()
        container.wrapped = Wrapper(inner)
        assert list(cached_providers(container)) == [("wrapped.<Secret>", inner)]

    def test_resource_arguments(self) -> None:
        """Arguments of a Resource are found like those of a Factory."""
        secret = Secret("/app/db")
        container = containers.DynamicContainer()
        container.pool = providers.Resource(dict, secret=secret)
        assert list(cached_providers(container)) == [("pool.secret", secret)]

    def test_dict_and_list(self) -> None:
        """Items of providers.Dict are named by key, items of providers.List by index."""
        first, second = SSMParameter("/app/a"), Secret("/app/b")
        container = containers.DynamicContainer()
        container.settings = providers.Dict(table=first)
        container.keys = providers.List(providers.Object("x"), second)
        assert list(cached_providers(container)) == [("settings.table", first), ("keys[1]", second)]

    def test_configuration_is_not_grown(self) -> None:
        """Walking a Configuration creates no option (it makes up any attribute it is asked)."""
        container = GraphApp()
        list(cached_providers(container))
        assert container.config() == {}
        assert sorted(container.config.related) == sorted([container.config.stage])

    def test_every_item_is_a_cached_provider(self) -> None:
        """Only cached providers are yielded."""
        assert all(isinstance(p, CachedProvider) for _, p in cached_providers(GraphApp()))


class TestEdges:
    """Every container-wide tool reaches the nested providers."""

    def test_invalidate_all(self) -> None:
        """invalidate_all forgets nested values too."""
        container = GraphApp()
        fill(container)
        invalidate_all(container)
        assert [p.age for _, p in cached_providers(container)] == [None] * len(GRAPH_NAMES)

    def test_set_clock(self) -> None:
        """set_clock reaches every provider."""
        container = GraphApp()
        clock = FakeClock()
        set_clock(container, clock)
        assert all(p.clock is clock for _, p in cached_providers(container))

    def test_snapstart_drops_secret_in_selector(self) -> None:
        """The before-snapshot purge forgets secrets inside a Selector and in arguments."""
        container = GraphApp()
        fill(container)
        drop_secrets(container)
        ages = {name: p.age is not None for name, p in cached_providers(container)}
        assert ages == {
            "table_name": True,
            "settings.flags": True,
            "db_secret.prod": False,
            "db_secret.dev": False,
            "db[0]": False,
            "db.password": False,
            "features[0]": True,
            "model_path[0]": True,
        }

    def test_iam_policy(self) -> None:
        """The policy grants every nested resource."""
        document = policy_for(GraphApp, region="us-east-1", account="123456789012").document
        resources = {s["Sid"]: s["Resource"] for s in document["Statement"]}
        prefix = "arn:aws:ssm:us-east-1:123456789012:parameter/app/"
        assert resources["ReadSSMParameters"] == [
            prefix + "features",
            prefix + "flags/beta",
            prefix + "flags/dark",
            prefix + "table",
        ]
        secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
        assert resources["ReadSecrets"] == [
            secret + "/app/db/host-??????",
            secret + "/app/db/password-??????",
            secret + "/dev/db-??????",
            secret + "/prod/db-??????",
        ]
        assert resources["ReadS3Objects"] == ["arn:aws:s3:::models-bucket/churn/model.json"]

    def test_prefetch_then_nothing(self, aws: dict[str, Any]) -> None:
        """prefetch fills every nested provider; a second prefetch sends no request."""
        container = GraphApp()
        assert prefetch(container) == {}
        assert all(p.fresh for _, p in cached_providers(container))
        calls = record_all(container)
        assert prefetch(container) == {}
        assert calls == []
        assert container.db_secret.providers["prod"]() == {"user": "prod"}

    def test_prefetch_after_expiry(self, aws: dict[str, Any]) -> None:
        """Once values expire, prefetch fetches them again."""
        container = GraphApp()
        clock = FakeClock()
        set_clock(container, clock)
        assert prefetch(container) == {}
        clock.tick(61)
        calls = record_all(container)
        assert prefetch(container) == {}
        assert sorted(calls) == [
            "BatchGetSecretValue",
            "GetObject",
            "GetParameters",
            "GetParameters",
        ]

    def test_check(self, aws: dict[str, Any]) -> None:
        """check resolves every nested provider."""
        results = check_container(GraphApp)
        assert [(r.name, r.outcome) for r in results] == [(n, OK) for n in GRAPH_NAMES]

    def test_check_without_cached_providers_exits_2(self, capsys: Any) -> None:
        """check says the container has no cached provider, and exits 2."""
        assert main(["check", "tests.unit.test_discovery:Empty"]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            "lambda-cache-di check: tests.unit.test_discovery:Empty has no cached providers\n"
        )
