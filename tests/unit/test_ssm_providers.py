"""SSM providers without a network: definitions, repr, overriding, wiring, copies."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, Provider, inject
from moto import mock_aws

from lambda_cache_di import (
    ConfigurationError,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
)
from lambda_cache_di.testing import FakeClock


@pytest.fixture
def ssm():
    with mock_aws():
        import boto3

        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name="/app/var", Value="s3cr3t-value", Type="SecureString")
        yield client


BAD_DEFINITIONS = [
    (lambda: SSMParameter(""), "name"),
    (lambda: SSMParameter(None), "name"),  # type: ignore[arg-type]
    (lambda: SSMParameter("app/var"), "name"),
    (lambda: SSMParameter("/app/var/"), "name"),
    (lambda: SSMParameter("/app//var"), "name"),
    (lambda: SSMParameter("/app/var name"), "name"),
    (lambda: SSMParameter("/app/var:"), "name"),
    (lambda: SSMParameter("/app/var:0"), "name"),
    (lambda: SSMParameter("/app/var:1abc"), "name"),
    (lambda: SSMParameter("/app/var", max_age_in_seconds=-1), "max_age_in_seconds"),
    (lambda: SSMParameter("/app/var", max_age_in_seconds=float("nan")), "max_age_in_seconds"),
    (lambda: SSMParameter("/app/var", max_age_in_seconds="60"), "max_age_in_seconds"),  # type: ignore[arg-type]
    (lambda: SSMParameter("/app/var", stale_if_error_in_seconds=-5), "stale_if_error_in_seconds"),
    (lambda: SSMParameter("/app/var", jitter=1.5), "jitter"),
    (lambda: SSMParameter("/app/var", client="ssm"), "client"),
    (lambda: SSMParameter("/app/var", clock=5), "clock"),  # type: ignore[arg-type]
    (lambda: SSMParameters([]), "names"),
    (lambda: SSMParameters("/app/var"), "names"),  # type: ignore[arg-type]
    (lambda: SSMParameters(["/dev/db/host", "/prod/db/host"]), "names"),
    (lambda: SSMParameters(["/app/a", "/app/a"]), "names"),
    (lambda: SSMParameters({"": "/app/a"}), "names key"),
    (lambda: SSMParameters(["/app/a", "bad name"]), "names item"),
    (lambda: SSMParametersByPath("app"), "path"),
    (lambda: SSMParametersByPath("/app", recursive="yes"), "recursive"),  # type: ignore[arg-type]
]


class TestDefinitions:
    """Bad definitions fail at construction, naming the argument."""

    @pytest.mark.parametrize(("make", "argument"), BAD_DEFINITIONS)
    def test_bad_definition(self, make, argument):
        """The ConfigurationError names the wrong argument."""
        with pytest.raises(ConfigurationError, match=f"^{argument}"):
            make()

    def test_configuration_error_is_a_value_error(self):
        """ConfigurationError can be caught as ValueError."""
        with pytest.raises(ValueError):
            SSMParameter("")

    def test_duplicate_keys_are_named(self):
        """The message names the colliding key and suggests a mapping."""
        with pytest.raises(ConfigurationError, match=r"'host'.*mapping"):
            SSMParameters(["/dev/db/host", "/prod/db/host"])

    def test_keys_are_last_segments_without_selectors(self):
        """List items are keyed by their last path segment, selector removed."""
        provider = SSMParameters(["/app/a:3", "/other/b:live", "plain"])
        assert list(provider.names) == ["a", "b", "plain"]


class TestRepr:
    """repr names the resource and its age, never the value."""

    def test_repr_before_and_after_fetch(self, ssm):
        """Before a fetch it says so; after, the age; the value never."""
        clock = FakeClock()
        provider = SSMParameter("/app/var", client=ssm, clock=clock)
        assert repr(provider) == "<SSMParameter '/app/var' max_age=60s not fetched>"
        provider()
        clock.tick(2.5)
        assert repr(provider) == "<SSMParameter '/app/var' max_age=60s age=2.5s>"
        assert "s3cr3t" not in repr(provider) + str(provider) + repr(provider.stats)

    def test_repr_of_overridden_provider(self):
        """An overridden provider says so."""
        provider = SSMParameter("/app/var")
        with provider.override("fake"):
            assert repr(provider).endswith("not fetched, overridden>")


class TestOverriding:
    """dependency-injector overriding works as for any provider."""

    def test_override_makes_no_call(self):
        """An overridden provider returns the fake and never fetches."""
        provider = SSMParameter("/app/var", client=_ExplodingClient())
        provider.override(providers.Object("fake"))
        assert provider() == "fake"
        provider.reset_override()
        assert provider.stats.misses == 0

    def test_override_providers_on_a_container(self):
        """container.override_providers replaces several providers at once."""

        class Container(containers.DeclarativeContainer):
            a = SSMParameter("/app/a", client=_ExplodingClient())
            b = SSMParameters(["/app/b"], client=_ExplodingClient())

        container = Container()
        with container.override_providers(a="fa", b={"b": "fb"}):
            assert (container.a(), container.b()) == ("fa", {"b": "fb"})

    def test_class_level_override_reaches_new_instances(self):
        """Overriding the container class provider is copied into new instances."""

        class Container(containers.DeclarativeContainer):
            a = SSMParameter("/app/a", client=_ExplodingClient())

        with Container.a.override("class-fake"):
            assert Container().a() == "class-fake"


class TestWiring:
    """Provide[...] and Provider[...] markers in @inject functions."""

    def test_provide_and_provider_markers(self, ssm):
        """Provide injects the value, Provider the provider itself."""

        class Container(containers.DeclarativeContainer):
            var = SSMParameter("/app/var", client=ssm)

        @inject
        def handler(
            value: str = Provide[Container.var],
            provider: SSMParameter = Provider[Container.var],
        ) -> tuple[str, SSMParameter]:
            return value, provider

        container = Container()
        container.wire(modules=[sys.modules[__name__]])
        try:
            value, provider = handler()
            assert value == "s3cr3t-value"
            assert provider is container.var
            assert provider.stats.misses == 1
        finally:
            container.unwire()


class TestCopies:
    """Deep copies carry the definition, not the cache."""

    def test_copy_keeps_definition_and_starts_cold(self, ssm):
        """A container copy has the same name, ages and clock but no value."""
        clock = FakeClock()
        original = SSMParameter(
            "/app/var:2", client=ssm, max_age_in_seconds=5, jitter=0.1, clock=clock
        )
        copy = providers.deepcopy(original)
        assert copy is not original
        assert copy.resource == "/app/var:2"
        assert copy.max_age_in_seconds == 5
        assert copy.clock is clock
        assert copy.client is ssm
        assert copy.age is None


def test_import_does_not_import_boto3():
    """`import lambda_cache_di` leaves boto3 and botocore unimported."""
    code = "import sys, lambda_cache_di; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False False"


class _ExplodingClient:
    """A client stand-in that fails the test if anything calls AWS."""

    meta = None

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        raise AssertionError(f"unexpected AWS call {name}")


def test_refresh_of_an_overridden_provider_returns_the_override():
    """refresh() on an overridden provider makes no AWS call and returns the fake."""
    provider = SSMParameter("/app/var", client=_ExplodingClient())
    with provider.override("fake"):
        assert provider.refresh() == "fake"
    assert provider.stats.misses == 0
