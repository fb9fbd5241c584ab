"""SSM providers against moto's server over HTTP with real boto3 clients."""

from __future__ import annotations

import threading

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import (
    AwsClients,
    NotFoundError,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
    invalidate_all,
)
from lambda_cache_di.testing import FakeClock


@pytest.fixture
def ssm(aws_client):
    return aws_client("ssm")


def put(ssm, name: str, value: str, kind: str = "String") -> None:
    ssm.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)


class TestSSMParameter:
    """One parameter."""

    def test_ttl_expiry_and_stats(self, ssm, moto_server):
        """Within max age no request is made; at max age the new value is fetched."""
        put(ssm, "/app/var", "one")
        clock = FakeClock()
        provider = SSMParameter(
            "/app/var", client=ssm, max_age_in_seconds=60, clock=clock, jitter=0
        )
        moto_server.reset_counts()
        assert provider() == "one"
        put(ssm, "/app/var", "two")
        clock.tick(59)
        assert provider() == "one"
        clock.tick(1)
        assert provider() == "two"
        assert moto_server.requests["AmazonSSM.GetParameter"] == 2
        assert (provider.stats.hits, provider.stats.misses, provider.stats.errors) == (1, 2, 0)

    def test_max_age_zero_fetches_every_time(self, ssm, moto_server):
        """max_age_in_seconds=0 makes one request per call."""
        put(ssm, "/app/var", "one")
        provider = SSMParameter("/app/var", client=ssm, max_age_in_seconds=0)
        moto_server.reset_counts()
        for _ in range(3):
            assert provider() == "one"
        assert moto_server.requests["AmazonSSM.GetParameter"] == 3

    def test_refresh_and_invalidate(self, ssm):
        """refresh() reads now; invalidate() makes the next call read."""
        put(ssm, "/app/var", "one")
        provider = SSMParameter("/app/var", client=ssm)
        assert provider() == "one"
        put(ssm, "/app/var", "two")
        assert provider() == "one"
        assert provider.refresh() == "two"
        put(ssm, "/app/var", "three")
        provider.invalidate()
        assert provider() == "three"

    def test_secure_string_is_decrypted(self, ssm):
        """A SecureString arrives as its plain text."""
        put(ssm, "/app/password", "hunter2", "SecureString")
        assert SSMParameter("/app/password", client=ssm)() == "hunter2"

    def test_string_list_is_a_list(self, ssm):
        """A StringList arrives split on commas."""
        put(ssm, "/app/hosts", "a,b,c", "StringList")
        assert SSMParameter("/app/hosts", client=ssm)() == ["a", "b", "c"]

    def test_version_and_label_selectors(self, ssm):
        """`name:1` and `name:label` read those versions, not the latest."""
        put(ssm, "/app/var", "v1")
        put(ssm, "/app/var", "v2")
        ssm.label_parameter_version(Name="/app/var", ParameterVersion=1, Labels=["stable"])
        assert SSMParameter("/app/var:1", client=ssm)() == "v1"
        assert SSMParameter("/app/var:stable", client=ssm)() == "v1"
        assert SSMParameter("/app/var", client=ssm)() == "v2"

    def test_missing_parameter(self, ssm):
        """A missing parameter raises NotFoundError naming it."""
        with pytest.raises(NotFoundError) as caught:
            SSMParameter("/app/missing", client=ssm)()
        assert caught.value.names == ("/app/missing",)

    def test_default_client_follows_the_environment(self, moto_endpoint, ssm):
        """With client=None the shared default client talks to AWS_ENDPOINT_URL."""
        put(ssm, "/app/var", "from-default-client")
        assert SSMParameter("/app/var")() == "from-default-client"

    def test_sixteen_threads_make_one_request(self, ssm, moto_server):
        """16 threads on a cold provider cause exactly one GetParameter."""
        put(ssm, "/app/var", "one")
        provider = SSMParameter("/app/var", client=ssm)
        barrier = threading.Barrier(16)
        results: list[object] = []

        def call() -> None:
            barrier.wait()
            results.append(provider())

        moto_server.reset_counts()
        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert results == ["one"] * 16
        assert moto_server.requests["AmazonSSM.GetParameter"] == 1


class TestSSMParameters:
    """A group of parameters."""

    def test_twenty_five_names_in_three_calls(self, ssm, moto_server):
        """25 names are read with three GetParameters calls of at most ten."""
        names = [f"/app/p{i:02d}" for i in range(25)]
        for index, name in enumerate(names):
            put(ssm, name, f"value-{index}")
        provider = SSMParameters(names, client=ssm)
        moto_server.reset_counts()
        values = provider()
        assert values == {f"p{i:02d}": f"value-{i}" for i in range(25)}
        assert moto_server.requests["AmazonSSM.GetParameters"] == 3

    def test_all_missing_names_reported_and_nothing_cached(self, ssm, moto_server):
        """Every missing name across calls is in one NotFoundError; the next call fetches again."""
        names = [f"/app/p{i:02d}" for i in range(12)]
        for name in names[:10]:
            put(ssm, name, "x")
        provider = SSMParameters(names, client=ssm)
        with pytest.raises(NotFoundError) as caught:
            provider()
        assert caught.value.names == ("/app/p10", "/app/p11")
        put(ssm, "/app/p10", "y")
        put(ssm, "/app/p11", "z")
        moto_server.reset_counts()
        assert provider()["p11"] == "z"
        assert moto_server.requests["AmazonSSM.GetParameters"] == 2

    def test_mapping_chooses_keys_and_mixed_types(self, ssm):
        """A mapping names the keys; String, SecureString and StringList mix in one call."""
        put(ssm, "/dev/db/host", "dev-host")
        put(ssm, "/prod/db/host", "prod-host", "SecureString")
        put(ssm, "/prod/hosts", "a,b", "StringList")
        provider = SSMParameters(
            {"dev": "/dev/db/host", "prod": "/prod/db/host", "hosts": "/prod/hosts"}, client=ssm
        )
        assert provider() == {"dev": "dev-host", "prod": "prod-host", "hosts": ["a", "b"]}

    def test_selectors_in_a_group(self, ssm, moto_server):
        """Two selectors of one name in a group get their own versions from one call."""
        put(ssm, "/app/var", "v1")
        put(ssm, "/app/var", "v2")
        ssm.label_parameter_version(Name="/app/var", ParameterVersion=2, Labels=["live"])
        provider = SSMParameters({"old": "/app/var:1", "live": "/app/var:live"}, client=ssm)
        moto_server.reset_counts()
        assert provider() == {"old": "v1", "live": "v2"}
        assert moto_server.requests == {"AmazonSSM.GetParameters": 1}


class TestSSMParametersByPath:
    """Everything under a path."""

    def test_paginated_and_keyed_relative_to_the_path(self, ssm, moto_server):
        """23 parameters under a path come back through pagination, keyed relative to it."""
        for index in range(20):
            put(ssm, f"/svc/config/k{index:02d}", str(index))
        put(ssm, "/svc/config/db/host", "h")
        put(ssm, "/svc/config/db/port", "5432")
        put(ssm, "/svc/config/list", "a,b", "StringList")
        put(ssm, "/svc/other", "not-included")
        moto_server.reset_counts()
        values = SSMParametersByPath("/svc/config", client=ssm)()
        assert len(values) == 23
        assert values["db/host"] == "h"
        assert values["k07"] == "7"
        assert values["list"] == ["a", "b"]
        assert "other" not in values
        assert moto_server.requests["AmazonSSM.GetParametersByPath"] >= 3

    def test_not_recursive(self, ssm):
        """recursive=False leaves out deeper levels."""
        put(ssm, "/svc/a", "1")
        put(ssm, "/svc/deep/b", "2")
        assert SSMParametersByPath("/svc/", recursive=False, client=ssm)() == {"a": "1"}


class TestContainers:
    """Providers inside DeclarativeContainers."""

    def test_new_container_starts_cold(self, ssm, moto_server):
        """Two container instances keep separate caches."""
        put(ssm, "/app/var", "one")

        class Container(containers.DeclarativeContainer):
            var = SSMParameter("/app/var", client=ssm)

        first, second = Container(), Container()
        moto_server.reset_counts()
        assert first.var() == "one"
        assert first.var() == "one"
        assert second.var() == "one"
        assert moto_server.requests["AmazonSSM.GetParameter"] == 2
        assert Container.var.stats.misses == 0

    def test_aws_clients_container(self, moto_endpoint, ssm):
        """`client=aws.ssm` uses the container's lazily created client."""
        put(ssm, "/app/var", "via-aws-clients")

        class Container(containers.DeclarativeContainer):
            aws = providers.Container(AwsClients)
            var = SSMParameter("/app/var", client=aws.ssm)

        container = Container()
        assert container.var() == "via-aws-clients"
        assert container.var.resolve_client() is container.aws.ssm()

    def test_invalidate_all(self, ssm, moto_server):
        """invalidate_all forgets every value of a container, nested ones included."""
        put(ssm, "/app/a", "1")
        put(ssm, "/app/b", "2")

        class Inner(containers.DeclarativeContainer):
            b = SSMParameter("/app/b", client=ssm)

        class Outer(containers.DeclarativeContainer):
            a = SSMParameter("/app/a", client=ssm)
            inner = providers.Container(Inner)

        container = Outer()
        container.a()
        container.inner.b()
        invalidate_all(container)
        assert container.a.age is None
        assert container.inner.b.age is None
