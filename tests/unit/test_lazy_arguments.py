"""Provider arguments: a first argument or max age given as a provider, resolved once on use."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from dependency_injector import containers, providers
from moto import mock_aws

from lambda_cache_di import (
    ConfigurationError,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
    prefetch,
)
from lambda_cache_di.testing import FakeClock
from lambda_cache_di.tools.check import check_container
from lambda_cache_di.tools.iam import policy_for


class Configured(containers.DeclarativeContainer):
    """Names and an age from configuration."""

    config = providers.Configuration()
    # jitter=0: the tests below count on the resolved age exactly.
    table = SSMParameter(config.table, max_age_in_seconds=config.ttl, jitter=0)
    group = SSMParameters(config.names)
    by_path = SSMParametersByPath(config.path)
    secret = Secret(config.secret)
    secrets = Secrets(config.secrets)
    model = S3File(config.model_uri)


SETTINGS = {
    "table": "/app/table",
    "ttl": 30,
    "names": ["/app/a", "/app/b"],
    "path": "/app/",
    "secret": "/app/db",
    "secrets": {"db": "/app/db"},
    "model_uri": "s3://models-bucket/m.json",
}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        for name in ("/app/table", "/app/a", "/app/b"):
            ssm.put_parameter(Name=name, Value=name.upper(), Type="String")
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="/app/db", SecretString="pw"
        )
        yield


class TestResolution:
    """Resolution on first use."""

    def test_typed_accessors_return_resolved_values(self) -> None:
        """Each accessor resolves its provider argument from the configuration."""
        container = Configured()
        container.config.from_dict(SETTINGS)
        assert container.table.name.full == "/app/table"
        assert container.table.max_age_in_seconds == 30.0
        assert [n.full for n in container.group.names.values()] == ["/app/a", "/app/b"]
        assert container.by_path.path == "/app/"
        assert container.secret.secret_id.id == "/app/db"
        assert {k: s.id for k, s in container.secrets.ids.items()} == {"db": "/app/db"}
        assert container.model.location.uri == "s3://models-bucket/m.json"
        assert container.model.resource == "s3://models-bucket/m.json"

    def test_fetch_resolves(self, aws: None) -> None:
        """A first call resolves the name and the age, then fetches."""
        container = Configured()
        container.config.from_dict(SETTINGS)
        clock = FakeClock()
        container.table.clock = clock
        assert container.table() == "/APP/TABLE"
        clock.tick(29)
        assert container.table() == "/APP/TABLE"
        assert container.table.stats.misses == 1
        clock.tick(2)
        container.table()
        assert container.table.stats.misses == 2

    def test_resolved_once_and_then_fixed(self) -> None:
        """The argument's provider is called once; a later configuration change is ignored."""
        calls: list[int] = []

        def name() -> str:
            calls.append(1)
            return "/app/table"

        provider = SSMParameter(providers.Callable(name))
        assert provider.name.full == "/app/table"
        assert provider.resource == "/app/table"
        provider.resolve()
        assert calls == [1]

    def test_threads_resolve_once(self) -> None:
        """Sixteen threads resolving at once call the argument's provider once."""
        calls: list[int] = []
        gate = threading.Barrier(16)

        def name() -> str:
            calls.append(1)
            return "/app/table"

        provider = SSMParameter(providers.Callable(name))

        def resolve() -> None:
            gate.wait()
            provider.resolve()

        threads = [threading.Thread(target=resolve) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert calls == [1]

    def test_object_provider(self) -> None:
        """providers.Object works as well as a Configuration option."""
        assert Secret(providers.Object("/app/db")).secret_id.id == "/app/db"

    def test_configuration_change_after_resolution_is_ignored(self) -> None:
        """Once resolved, the value stays fixed for that provider."""
        container = Configured()
        container.config.from_dict(SETTINGS)
        assert container.table.name.full == "/app/table"
        container.config.table.from_value("/app/other")
        assert container.table.name.full == "/app/table"


class TestErrors:
    """Unresolvable or invalid values."""

    def test_missing_option(self) -> None:
        """An unset option resolves to None, which names the argument and the option."""
        container = Configured()
        with pytest.raises(ConfigurationError) as caught:
            container.table.resolve()
        assert str(caught.value) == "name must be a str, not NoneType (resolved from config.table)"

    def test_invalid_value(self) -> None:
        """An invalid value is refused as a plain one would be, naming the argument."""
        container = Configured()
        container.config.from_dict({**SETTINGS, "model_uri": "http://x/y"})
        with pytest.raises(ConfigurationError) as caught:
            container.model()
        assert str(caught.value).startswith("uri ")
        assert str(caught.value).endswith("(resolved from config.model_uri)")

    def test_invalid_age(self) -> None:
        """A negative age from configuration names max_age_in_seconds."""
        container = Configured()
        container.config.from_dict({**SETTINGS, "ttl": -1})
        with pytest.raises(ConfigurationError) as caught:
            container.table.max_age_in_seconds  # noqa: B018
        assert str(caught.value) == (
            "max_age_in_seconds must be finite and >= 0, not -1 (resolved from config.ttl)"
        )

    def test_the_message_never_quotes_what_the_option_held(self) -> None:
        """A mistaken option (a connection string with a password) is named, not repeated."""
        container = Configured()
        container.config.from_dict({**SETTINGS, "model_uri": "postgres://admin:S3cr3t!@db/x"})
        with pytest.raises(ConfigurationError) as caught:
            container.model()
        assert "S3cr3t" not in str(caught.value)
        assert str(caught.value) == (
            "uri <the value of config.model_uri> must start with 's3://' "
            "(resolved from config.model_uri)"
        )

    def test_age_read_as_text(self) -> None:
        """An age that configuration holds as text (from an environment variable) is a number."""
        container = Configured()
        container.config.from_dict({**SETTINGS, "ttl": "30"})
        assert container.table.max_age_in_seconds == 30.0

    def test_strict_configuration(self) -> None:
        """An option that strict configuration refuses to give names the argument."""
        config = providers.Configuration(strict=True)
        provider = Secret(config.secret)
        with pytest.raises(ConfigurationError) as caught:
            provider()
        assert str(caught.value) == "secret_id: config.secret could not be resolved (Error)"

    def test_failure_is_not_cached(self) -> None:
        """A failed resolution is tried again on the next use."""
        container = Configured()
        with pytest.raises(ConfigurationError):
            container.secret.resolve()
        container.config.secret.from_value("/app/db")
        container.secret.resolve()
        assert container.secret.secret_id.id == "/app/db"

    def test_prefetch_returns_it(self, aws: None, caplog: pytest.LogCaptureFixture) -> None:
        """prefetch returns and logs the ConfigurationError, and fetches the rest."""
        container = Configured()
        container.config.from_dict({**SETTINGS, "secret": ""})
        container.model.override(Path("/nothing"))
        container.by_path.override({})
        failures = prefetch(container)
        assert list(failures) == ["secret"]
        assert isinstance(failures["secret"], ConfigurationError)
        assert container.table.fresh and container.group.fresh and container.secrets.fresh
        assert caplog.messages == ["prefetch: secret failed with ConfigurationError"]

    def test_check_reports_it(self) -> None:
        """check reports the unresolvable provider by where its name would come from."""
        container = Configured()
        results = {r.name: (r.resource, r.outcome) for r in check_container(container)}
        assert results["table"] == (
            "(not resolved: config.table)",
            "error: name must be a str, not NoneType (resolved from config.table)",
        )

    def test_iam_policy_raises(self) -> None:
        """iam-policy cannot grant what it cannot name: ConfigurationError."""
        with pytest.raises(ConfigurationError):
            policy_for(Configured())

    def test_iam_policy_resolves(self) -> None:
        """With the configuration filled, iam-policy grants the configured names."""
        container = Configured()
        container.config.from_dict(SETTINGS)
        statements = {s["Sid"]: s for s in policy_for(container).document["Statement"]}
        assert statements["ReadSSMParameters"]["Resource"] == [
            "arn:aws:ssm:*:*:parameter/app/a",
            "arn:aws:ssm:*:*:parameter/app/b",
            "arn:aws:ssm:*:*:parameter/app/table",
        ]


class TestReprAndCopies:
    """repr before resolution, and copies that keep the provider argument."""

    def test_repr_does_not_resolve(self) -> None:
        """repr names the option and the age's option, and calls neither."""
        container = Configured()
        assert repr(container.table) == (
            "<SSMParameter (not resolved: config.table) max_age=config.ttl not fetched>"
        )
        assert repr(Secret(providers.Object("/x"))) == (
            "<Secret (not resolved: Object) max_age=60s not fetched>"
        )

    def test_repr_after_resolution(self) -> None:
        """Once resolved, repr shows the resource and age as for plain arguments."""
        container = Configured()
        container.config.from_dict(SETTINGS)
        container.table.resolve()
        assert repr(container.table) == "<SSMParameter '/app/table' max_age=30s not fetched>"

    def test_related_includes_arguments(self) -> None:
        """The argument providers are related, so traverse() and copies see them."""
        container = Configured()
        related = list(container.table.related)
        assert related == [container.config.table, container.config.ttl]

    def test_container_copy_uses_its_own_configuration(self) -> None:
        """A new container instance resolves from its own Configuration."""
        first, second = Configured(), Configured()
        first.config.from_dict(SETTINGS)
        second.config.from_dict({**SETTINGS, "table": "/app/second"})
        assert first.table.name.full == "/app/table"
        assert second.table.name.full == "/app/second"

    def test_deepcopy_keeps_the_provider_not_the_value(self) -> None:
        """A deep copy of a resolved container resolves again, from the copy's configuration."""
        container = Configured()
        container.config.from_dict(SETTINGS)
        assert container.table.name.full == "/app/table"
        copied = copy.deepcopy(container)
        assert repr(copied.table).startswith("<SSMParameter (not resolved: config.table)")
        copied.config.table.from_value("/app/copied")
        assert copied.table.name.full == "/app/copied"
        assert container.table.name.full == "/app/table"
