"""prefetch against moto in-process: batching, skipping, isolated failures; TTL jitter."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from dependency_injector import containers, providers
from moto import mock_aws

from lambda_cache_di import (
    ConfigurationError,
    FetchError,
    NotFoundError,
    Secret,
    SSMParameter,
    SSMParameters,
    TransformError,
    prefetch,
)
from lambda_cache_di.testing import FakeClock
from tests.recording import record_calls

SECRET_TEXT = "s3cr3t-value"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield {
            "ssm": boto3.client("ssm", region_name="us-east-1"),
            "secretsmanager": boto3.client("secretsmanager", region_name="us-east-1"),
        }


def container_of(**declared: Any) -> Any:
    """An instance of a declarative container holding `declared`."""
    return type("Declared", (containers.DeclarativeContainer,), dict(declared))()


def put_parameters(ssm: Any, count: int) -> None:
    for i in range(count):
        ssm.put_parameter(Name=f"/app/p{i}", Value=f"{SECRET_TEXT}-{i}", Type="SecureString")


class FailingClient:
    """A stand-in client whose every call fails with a botocore ClientError."""

    meta = object()

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls = 0

    def _fail(self, **_: Any) -> Any:
        from botocore.exceptions import ClientError

        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "Op")

    get_parameters = get_parameter = batch_get_secret_value = get_secret_value = _fail


class TestBatching:
    def test_twelve_parameters_take_two_calls_then_none(self, aws: dict[str, Any]) -> None:
        """Twelve SSMParameter providers cost two GetParameters calls, then no call at all."""
        put_parameters(aws["ssm"], 12)
        calls = record_calls(aws["ssm"])
        declared = {f"p{i}": SSMParameter(f"/app/p{i}", client=aws["ssm"]) for i in range(12)}
        container = container_of(**declared)
        assert prefetch(container) == {}
        assert sorted(len(params["Names"]) for _, params in calls) == [2, 10]
        assert {operation for operation, _ in calls} == {"GetParameters"}
        calls.clear()
        assert [getattr(container, f"p{i}")() for i in range(12)] == [
            f"{SECRET_TEXT}-{i}" for i in range(12)
        ]
        assert calls == []

    def test_stats_show_values_as_stored(self, aws: dict[str, Any]) -> None:
        """A prefetched value counts as one miss; the next call is a hit."""
        put_parameters(aws["ssm"], 1)
        container = container_of(p0=SSMParameter("/app/p0", client=aws["ssm"]))
        prefetch(container)
        stats = container.p0.stats
        assert (stats.hits, stats.misses, stats.errors) == (0, 1, 0)
        container.p0()
        assert container.p0.stats.hits == 1

    def test_parameters_of_two_clients_go_into_separate_calls(self, aws: dict[str, Any]) -> None:
        """Batches never mix clients: two clients, one GetParameters call each."""
        put_parameters(aws["ssm"], 2)
        other = boto3.client("ssm", region_name="us-east-1")
        first, second = record_calls(aws["ssm"]), record_calls(other)
        container = container_of(
            a=SSMParameter("/app/p0", client=aws["ssm"]), b=SSMParameter("/app/p1", client=other)
        )
        assert prefetch(container) == {}
        assert [params["Names"] for _, params in first] == [["/app/p0"]]
        assert [params["Names"] for _, params in second] == [["/app/p1"]]

    def test_client_providers_are_resolved_once_and_batched(self, aws: dict[str, Any]) -> None:
        """Providers whose client is a provider of one client share one call."""
        put_parameters(aws["ssm"], 3)
        calls = record_calls(aws["ssm"])
        client = providers.Object(aws["ssm"])
        container = container_of(
            client=client,
            **{f"p{i}": SSMParameter(f"/app/p{i}", client=client) for i in range(3)},
        )
        assert prefetch(container) == {}
        assert [sorted(params["Names"]) for _, params in calls] == [
            ["/app/p0", "/app/p1", "/app/p2"]
        ]

    def test_other_providers_are_refreshed_individually(self, aws: dict[str, Any]) -> None:
        """SSMParameters and Secrets at another stage are fetched one by one, all at once."""
        put_parameters(aws["ssm"], 2)
        aws["secretsmanager"].create_secret(Name="app/db", SecretString=SECRET_TEXT)
        ssm_calls = record_calls(aws["ssm"])
        secret_calls = record_calls(aws["secretsmanager"])
        container = container_of(
            group=SSMParameters(["/app/p0", "/app/p1"], client=aws["ssm"]),
            staged=Secret("app/db", version_stage="AWSCURRENT", client=aws["secretsmanager"]),
            pinned=Secret("app/db", version_stage="AWSPENDING", client=aws["secretsmanager"]),
        )
        failures = prefetch(container)
        assert [operation for operation, _ in ssm_calls] == ["GetParameters"]
        # A lone secret at AWSCURRENT is read with GetSecretValue too: never a batch of one.
        assert sorted(operation for operation, _ in secret_calls) == [
            "GetSecretValue",
            "GetSecretValue",
        ]
        assert list(failures) == ["pinned"]
        assert container.group() == {"p0": f"{SECRET_TEXT}-0", "p1": f"{SECRET_TEXT}-1"}
        assert container.staged() == SECRET_TEXT

    def test_secret_transform_is_applied_to_batched_value(self, aws: dict[str, Any]) -> None:
        """A JSON secret fetched in a batch is stored parsed, as its own fetch would store it."""
        sm = aws["secretsmanager"]
        sm.create_secret(Name="app/json", SecretString=json.dumps({"password": SECRET_TEXT}))
        calls = record_calls(sm)
        container = container_of(
            parsed=Secret("app/json", transform="json", client=sm),
            raw=Secret("app/json", client=sm),
        )
        assert prefetch(container) == {}
        assert calls == [("GetSecretValue", {"SecretId": "app/json"})]
        assert container.parsed() == {"password": SECRET_TEXT}
        assert container.raw() == json.dumps({"password": SECRET_TEXT})
        assert len(calls) == 1

    def test_overridden_providers_are_skipped(self, aws: dict[str, Any]) -> None:
        """An overridden provider makes no request and is not reported."""
        put_parameters(aws["ssm"], 1)
        calls = record_calls(aws["ssm"])
        container = container_of(
            real=SSMParameter("/app/p0", client=aws["ssm"]),
            faked=SSMParameter("/app/missing", client=aws["ssm"]),
        )
        container.faked.override(providers.Object("fake"))
        assert prefetch(container) == {}
        assert [params["Names"] for _, params in calls] == [["/app/p0"]]
        assert container.faked() == "fake"

    def test_empty_container_makes_no_call(self) -> None:
        """A container without cached providers returns no failures."""
        assert prefetch(container_of(plain=providers.Object(1))) == {}

    def test_max_workers_must_be_positive(self) -> None:
        """A pool without workers is a configuration error."""
        with pytest.raises(ConfigurationError, match="max_workers"):
            prefetch(container_of(), max_workers=0)


class TestFailures:
    def test_missing_names_fail_alone(self, aws: dict[str, Any]) -> None:
        """A missing parameter fails only its provider; the others of its one call are stored."""
        put_parameters(aws["ssm"], 2)
        calls = record_calls(aws["ssm"])
        container = container_of(
            a=SSMParameter("/app/p0", client=aws["ssm"]),
            gone=SSMParameter("/app/gone", client=aws["ssm"]),
            b=SSMParameter("/app/p1", client=aws["ssm"]),
        )
        failures = prefetch(container)
        assert list(failures) == ["gone"]
        assert isinstance(failures["gone"], NotFoundError)
        assert failures["gone"].names == ("/app/gone",)
        assert len(calls) == 1
        calls.clear()
        assert (container.a(), container.b()) == (f"{SECRET_TEXT}-0", f"{SECRET_TEXT}-1")
        assert calls == []
        assert not container.gone.stats.misses

    def test_missing_secret_fails_alone(self, aws: dict[str, Any]) -> None:
        """A missing secret in a batch fails only its provider."""
        aws["secretsmanager"].create_secret(Name="app/db", SecretString=SECRET_TEXT)
        container = container_of(
            db=Secret("app/db", client=aws["secretsmanager"]),
            gone=Secret("app/gone", client=aws["secretsmanager"]),
        )
        failures = prefetch(container)
        assert list(failures) == ["gone"]
        assert failures["gone"].names == ("app/gone",)  # type: ignore[attr-defined]
        assert container.db() == SECRET_TEXT

    def test_whole_batch_failure_fails_each_member(self) -> None:
        """A failed batch call fails every provider in it, and nothing is raised."""
        client = FailingClient("AccessDeniedException")
        container = container_of(
            a=SSMParameter("/app/a", client=client),
            b=SSMParameter("/app/b", client=client),
            c=Secret("app/c", client=client),
        )
        failures = prefetch(container)
        assert sorted(failures) == ["a", "b", "c"]
        assert all(isinstance(error, FetchError) for error in failures.values())
        assert client.calls == 2

    def test_bad_json_fails_only_its_provider(self, aws: dict[str, Any]) -> None:
        """A secret that is not JSON fails its json provider; a raw reader of it is stored."""
        aws["secretsmanager"].create_secret(Name="app/text", SecretString=SECRET_TEXT)
        container = container_of(
            parsed=Secret("app/text", transform="json", client=aws["secretsmanager"]),
            raw=Secret("app/text", client=aws["secretsmanager"]),
        )
        failures = prefetch(container)
        assert list(failures) == ["parsed"]
        assert isinstance(failures["parsed"], TransformError)
        assert container.raw() == SECRET_TEXT

    def test_unresolvable_client_fails_its_providers(self) -> None:
        """A client provider that raises fails the providers that use it, with a FetchError."""

        def broken() -> Any:
            raise RuntimeError("no client")

        client = providers.Callable(broken)
        container = container_of(a=SSMParameter("/app/a", client=client))
        failures = prefetch(container)
        assert [type(error) for error in failures.values()] == [FetchError]
        assert [type(error.__cause__) for error in failures.values()] == [RuntimeError]

    def test_an_error_that_is_not_ours_is_returned_typed(self) -> None:
        """A client that raises a foreign error (a bug) gives a FetchError chained to it."""

        class Broken:
            def get_parameters(self, **request: Any) -> Any:
                raise KeyError("bug")

            get_parameter = get_parameters

        container = container_of(a=SSMParameter("/app/a", client=Broken()))
        failures = prefetch(container)
        assert [type(error) for error in failures.values()] == [FetchError]
        assert str(failures["a"]) == "prefetch failed with KeyError"
        assert type(failures["a"].__cause__) is KeyError

    def test_warning_names_failures_without_values(
        self, aws: dict[str, Any], caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each failure logs one warning with the provider name and error type, never a value."""
        put_parameters(aws["ssm"], 1)
        container = container_of(
            ok=SSMParameter("/app/p0", client=aws["ssm"]),
            gone=SSMParameter("/app/gone", client=aws["ssm"]),
        )
        with caplog.at_level(logging.WARNING, logger="lambda_cache_di.prefetch"):
            prefetch(container)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == ["prefetch: gone failed with NotFoundError"]
        assert SECRET_TEXT not in caplog.text


class TestJitter:
    @pytest.fixture
    def seeded(self) -> Iterator[None]:
        state = random.getstate()
        random.seed(6)
        yield
        random.setstate(state)

    def test_jitter_spreads_expiry_within_max_age(self, aws: dict[str, Any], seeded: None) -> None:
        """With jitter 0.5 every value expires between half its max age and its max age."""
        put_parameters(aws["ssm"], 20)
        clock = FakeClock()
        container = container_of(
            **{
                f"p{i}": SSMParameter(
                    f"/app/p{i}", client=aws["ssm"], max_age_in_seconds=60, jitter=0.5, clock=clock
                )
                for i in range(20)
            }
        )
        assert prefetch(container) == {}
        names = [f"p{i}" for i in range(20)]

        def misses() -> int:
            return sum(getattr(container, name).stats.misses for name in names)

        clock.tick(29.9)
        [getattr(container, name)() for name in names]
        assert misses() == 20
        clock.tick(15)
        [getattr(container, name)() for name in names]
        assert 20 < misses() < 40
        clock.tick(15.1)
        [getattr(container, name)() for name in names]
        assert misses() == 40

    def test_without_jitter_all_expire_together(self, aws: dict[str, Any]) -> None:
        """With jitter=0 every value lives exactly its max age."""
        put_parameters(aws["ssm"], 3)
        clock = FakeClock()
        container = container_of(
            **{
                f"p{i}": SSMParameter(
                    f"/app/p{i}", client=aws["ssm"], max_age_in_seconds=60, jitter=0, clock=clock
                )
                for i in range(3)
            }
        )
        prefetch(container)
        clock.tick(59.9)
        assert [container.p0.age, container.p1.age, container.p2.age] == [pytest.approx(59.9)] * 3
        [getattr(container, f"p{i}")() for i in range(3)]
        assert sum(getattr(container, f"p{i}").stats.misses for i in range(3)) == 3
        clock.tick(0.1)
        [getattr(container, f"p{i}")() for i in range(3)]
        assert sum(getattr(container, f"p{i}").stats.misses for i in range(3)) == 6

    def test_by_default_only_the_first_value_is_spread(
        self, aws: dict[str, Any], seeded: None
    ) -> None:
        """By default a prefetched value lives 25-100 % of max age, and the next one all of it."""
        put_parameters(aws["ssm"], 20)
        clock = FakeClock()
        names = [f"p{i}" for i in range(20)]
        container = container_of(
            **{
                name: SSMParameter(
                    f"/app/{name}", client=aws["ssm"], max_age_in_seconds=60, clock=clock
                )
                for name in names
            }
        )
        assert prefetch(container) == {}
        cached = [getattr(container, name) for name in names]

        def misses() -> int:
            return sum(provider.stats.misses for provider in cached)

        clock.tick(14.9)
        [provider() for provider in cached]
        assert misses() == 20
        clock.tick(45.1)  # 60 s: every first value has expired
        [provider() for provider in cached]
        assert misses() == 40
        clock.tick(59.9)
        [provider() for provider in cached]
        assert misses() == 40  # the second values, fetched at 60 s, live their full 60 s
        clock.tick(0.1)
        [provider() for provider in cached]
        assert misses() == 60

    def test_first_values_expire_at_moments_of_their_own(
        self, aws: dict[str, Any], seeded: None
    ) -> None:
        """By default twenty values fetched together expire in more than ten distinct seconds."""
        put_parameters(aws["ssm"], 20)
        clock = FakeClock()
        providers_ = [
            SSMParameter(f"/app/p{i}", client=aws["ssm"], max_age_in_seconds=60, clock=clock)
            for i in range(20)
        ]
        [provider() for provider in providers_]
        expired_in: set[int] = set()
        still_fresh = set(providers_)
        for second in range(1, 61):
            clock.tick(1)
            for provider in [p for p in still_fresh if not p.fresh]:
                expired_in.add(second)
                still_fresh.discard(provider)
        assert not still_fresh
        assert min(expired_in) >= 15
        assert len(expired_in) > 10

    def test_jitter_must_be_a_fraction(self) -> None:
        """A jitter of 1 or more could make a value expire at once: rejected at definition."""
        with pytest.raises(ConfigurationError, match="jitter"):
            SSMParameter("/app/p0", jitter=1)


def test_a_denied_secret_fails_alone() -> None:
    """A per-secret AccessDenied in a batch fails that secret only; the rest are stored."""
    import boto3
    from botocore.stub import Stubber

    from lambda_cache_di import FetchError, Secret

    client = boto3.client("secretsmanager", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "batch_get_secret_value",
        {
            "SecretValues": [
                {"Name": "/ok", "ARN": ARN_PREFIX + "/ok-AbCdEf", "SecretString": "v"}
            ],
            "Errors": [{"SecretId": "/denied", "ErrorCode": "AccessDeniedException"}],
        },
        {"SecretIdList": ["/ok", "/denied"]},
    )
    container = container_of(
        ok=Secret("/ok", client=client), denied=Secret("/denied", client=client)
    )
    with stubber:
        failures = prefetch(container, max_workers=1)
    assert list(failures) == ["denied"]
    assert isinstance(failures["denied"], FetchError)
    assert "/ok" not in str(failures["denied"])
    assert container.ok() == "v"


ARN_PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
