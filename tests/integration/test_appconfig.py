"""AppConfig against the appconfigdata fake over HTTP, with real boto3 clients."""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from dependency_injector import containers, providers

from lambda_cache_di import (
    AppConfig,
    AwsClients,
    ConfigurationError,
    FetchError,
    NotFoundError,
    TransformError,
    prefetch,
)
from lambda_cache_di.fetchers.clients import lambda_config
from lambda_cache_di.testing import FakeClock
from lambda_cache_di.testing.appconfig import FakeAppConfigData
from lambda_cache_di.tools.check import OK, check_container
from lambda_cache_di.tools.iam import policy_for

START = "StartConfigurationSession"
GET = "GetLatestConfiguration"
FLAGS = {"beta": {"enabled": True}, "SECRET-MARKER": "kept-out-of-logs"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeAppConfigData]:
    """The fake with one JSON profile, orders/prod/flags, polled every 60 s."""
    with FakeAppConfigData(clock=clock) as server:
        server.set_configuration("orders", "prod", "flags", json.dumps(FLAGS))
        yield server


def appconfig_client(endpoint: str, **config: Any) -> Any:
    return boto3.client(
        "appconfigdata",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=lambda_config(**config),
    )


@pytest.fixture
def client(fake: FakeAppConfigData) -> Any:
    return appconfig_client(fake.endpoint)


def flags(client: Any, clock: FakeClock, **options: Any) -> AppConfig:
    # Exact ages (jitter=0): these tests count polls against max age and the interval.
    options.setdefault("jitter", 0)
    return AppConfig("orders", "prod", "flags", client=client, clock=clock, **options)


class TestPolling:
    """Max age, the poll interval and the session's tokens."""

    def test_first_call_starts_one_session_and_parses_json(self, fake, client, clock):
        """The first call makes one session and one poll; the JSON document comes back parsed."""
        assert flags(client, clock)() == FLAGS
        assert fake.requests == {START: 1, GET: 1}

    def test_no_request_inside_the_poll_interval_whatever_max_age(self, fake, client, clock):
        """max_age 5 s, interval 60 s: calls and refresh() before 60 s make no request."""
        provider = flags(client, clock, max_age_in_seconds=5)
        provider()
        fake.set_configuration("orders", "prod", "flags", '{"beta": false}')
        for step in (5, 25, 29.9):
            clock.tick(step)
            assert provider() == FLAGS
        assert provider.refresh() == FLAGS
        assert fake.requests == {START: 1, GET: 1}
        # The refresh at 59.9 s answered from the session: that answer's max age runs first.
        clock.tick(0.1)
        assert provider() == FLAGS
        clock.tick(4.9)
        assert provider() == {"beta": False}
        assert fake.requests == {START: 1, GET: 2}

    def test_max_age_longer_than_the_interval_wins(self, fake, client, clock):
        """max_age 120 s, interval 15 s: no request until 120 s."""
        fake.set_poll_interval(15)
        provider = flags(client, clock, max_age_in_seconds=120)
        provider()
        clock.tick(119)
        provider()
        assert fake.requests[GET] == 1
        clock.tick(1)
        provider()
        assert fake.requests == {START: 1, GET: 2}

    def test_empty_body_keeps_the_previous_value(self, fake, client, clock):
        """An unchanged profile answers with an empty body: the value stays the document."""
        provider = flags(client, clock)
        provider()
        for _ in range(3):
            clock.tick(60)
            assert provider() == FLAGS
        assert fake.requests == {START: 1, GET: 4}

    def test_two_profiles_never_take_each_others_value(self, fake, client, clock):
        """Two providers, two sessions: each empty body means its own previous document."""
        fake.set_configuration("orders", "prod", "limits", '{"max": 3}')
        first = flags(client, clock)
        second = AppConfig("orders", "prod", "limits", client=client, clock=clock)
        assert (first(), second()) == (FLAGS, {"max": 3})
        clock.tick(60)
        assert (second(), first()) == ({"max": 3}, FLAGS)
        assert fake.requests == {START: 2, GET: 4}

    def test_each_token_used_once(self, fake, client, clock):
        """Ten polls in one session: the fake refuses a spent token, and none was refused."""
        provider = flags(client, clock)
        for _ in range(10):
            provider()
            clock.tick(60)
        assert fake.requests == {START: 1, GET: 10}

    def test_new_session_after_24_hours_without_a_refusal(self, fake, client, clock):
        """A day later a new session starts before the old token is ever sent."""
        provider = flags(client, clock)
        provider()
        clock.tick(24 * 3600)
        assert provider() == FLAGS
        assert fake.requests == {START: 2, GET: 2}

    def test_refused_token_starts_a_new_session(self, fake, client, clock):
        """A token AWS refuses (expired) costs one refused poll, then a new session answers."""
        provider = flags(client, clock)
        provider()
        fake.expire_tokens()
        fake.set_configuration("orders", "prod", "flags", '{"beta": false}')
        clock.tick(60)
        assert provider() == {"beta": False}
        assert fake.requests == {START: 2, GET: 3}

    def test_sixteen_threads_make_one_request(self, fake, client, clock):
        """Sixteen threads at once on a cold provider: one session, one poll, one value."""
        provider = flags(client, clock)
        barrier = threading.Barrier(16)
        results: list[Any] = []

        def call() -> None:
            barrier.wait(timeout=10)
            results.append(provider())

        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert results == [FLAGS] * 16
        assert fake.requests == {START: 1, GET: 1}

    def test_a_copy_has_its_own_session(self, fake, client, clock):
        """copy() is cold and starts its own session."""
        provider = flags(client, clock)
        provider()
        assert copy.copy(provider)() == FLAGS
        assert fake.requests == {START: 2, GET: 2}

    def test_another_client_starts_another_session(self, fake, client, clock):
        """A token belongs to the client that started its session: a new client, a new one."""
        current = [client]
        provider = flags(providers.Callable(lambda: current[0]), clock)
        provider()
        clock.tick(60)
        current[0] = appconfig_client(fake.endpoint)
        assert provider() == FLAGS
        assert fake.requests == {START: 2, GET: 2}

    def test_a_new_clock_starts_a_new_session(self, fake, client):
        """Deadlines of one clock mean nothing on another: set_clock starts a new session."""
        provider = AppConfig(
            "orders",
            "prod",
            "flags",
            client=client,
            clock=FakeClock(100_000),
            max_age_in_seconds=0,
        )
        provider()
        later = FakeClock(1_000)
        provider.clock = later
        provider()
        assert fake.requests == {START: 2, GET: 2}
        fake.clock = later
        later.tick(60)
        provider()
        assert fake.requests == {START: 2, GET: 3}


class TestContent:
    """Content types and transforms."""

    @pytest.mark.parametrize(
        ("content_type", "body", "expected"),
        [
            ("application/json", '{"a": [1, 2]}', {"a": [1, 2]}),
            ("application/json; charset=utf-8", '{"a": 1}', {"a": 1}),
            ("application/x-yaml", "a: 1\n", b"a: 1\n"),
            ("text/plain", "plain words", b"plain words"),
        ],
    )
    def test_content_type_decides_the_value(
        self, fake, client, clock, content_type, body, expected
    ):
        """JSON is parsed; YAML, text and anything else come back as bytes."""
        fake.set_configuration("orders", "prod", "other", body, content_type=content_type)
        provider = AppConfig("orders", "prod", "other", client=client, clock=clock)
        assert provider() == expected

    def test_transform_reads_a_feature_flag(self, client, clock):
        """transform= gets the parsed document: a flag comes back as a bool."""
        provider = flags(client, clock, transform=lambda document: document["beta"]["enabled"])
        assert provider() is True

    def test_invalid_json_is_a_transform_error_without_the_value(self, fake, client, clock):
        """A JSON profile that does not parse raises TransformError naming it, not its text."""
        fake.set_configuration("orders", "prod", "broken", '{"token": "SECRET-MARKER"')
        provider = AppConfig("orders", "prod", "broken", client=client, clock=clock)
        with pytest.raises(TransformError) as caught:
            provider()
        assert str(caught.value) == (
            "configuration orders/prod/broken is not valid JSON: line 1 column 26"
        )

    def test_transform_json_is_refused(self):
        """transform="json" is refused: the content type decides whether to parse."""
        with pytest.raises(ConfigurationError):
            AppConfig("orders", "prod", "flags", transform="json")

    def test_value_is_in_no_log_record(self, client, clock, caplog):
        """At DEBUG, botocore's and ours, the document appears in no log record."""
        with caplog.at_level(logging.DEBUG):
            flags(client, clock)()
        assert "SECRET-MARKER" not in caplog.text
        assert "GetLatestConfiguration orders/prod/flags" in caplog.text


class TestErrors:
    """What is missing, and what AWS refuses."""

    @pytest.mark.parametrize(
        ("application", "environment", "profile"),
        [("nope", "prod", "flags"), ("orders", "nope", "flags"), ("orders", "prod", "nope")],
    )
    def test_unknown_resource_is_not_found(self, client, application, environment, profile):
        """An unknown application, environment or profile raises NotFoundError naming it."""
        provider = AppConfig(application, environment, profile, client=client)
        with pytest.raises(NotFoundError) as caught:
            provider()
        described = f"{application}/{environment}/{profile}"
        assert caught.value.names == (described,)
        assert str(caught.value) == (
            f"StartConfigurationSession: not found: {described} (ResourceNotFoundException)"
        )

    def test_refused_twice_is_a_fetch_error(self, fake, client, clock, monkeypatch):
        """A token refused even in a new session gives a FetchError, not a loop."""
        provider = flags(client, clock)
        provider()
        clock.tick(60)
        monkeypatch.setattr(fake, "poll_interval", 60)
        fake.expire_tokens()
        original = fake.start_session

        def start_expired(request: dict[str, Any]) -> Any:
            answer = original(request)
            fake.expire_tokens()
            return answer

        monkeypatch.setattr(fake, "start_session", start_expired)
        with pytest.raises(FetchError) as caught:
            provider()
        assert str(caught.value) == (
            "GetLatestConfiguration failed for orders/prod/flags: BadRequestException"
        )
        assert fake.requests == {START: 2, GET: 3}

    @pytest.mark.parametrize(
        "arguments",
        [
            ("orders", "", "flags"),
            ("orders", "prod", "x" * 129),
            ("orders", "prod", 3),
            (5, "a", "b"),
        ],
    )
    def test_bad_identifiers_are_configuration_errors(self, arguments):
        """Empty, too long or not text: ConfigurationError at construction."""
        with pytest.raises(ConfigurationError):
            AppConfig(*arguments)


class TestSharing:
    """AppConfig stays in the process that polled it."""

    def test_shared_true_is_refused(self):
        """shared=True raises ConfigurationError saying why."""
        with pytest.raises(ConfigurationError, match="each process holds its own AppConfig"):
            AppConfig("orders", "prod", "flags", shared=True)

    def test_auto_rule_does_not_share(self, client, clock, monkeypatch, shared_folder):
        """With sharing wanted by the environment, nothing is written to the shared folder."""
        monkeypatch.setenv("LAMBDA_CACHE_DI_SHARED", "1")
        provider = flags(client, clock)
        assert provider() == FLAGS
        assert provider.shared_tier() is None
        assert list(shared_folder.iterdir()) == []


class Container(containers.DeclarativeContainer):
    clients = providers.Container(AwsClients)
    flags = AppConfig("orders", "prod", "flags", client=clients.appconfigdata)


@pytest.fixture
def container(fake: FakeAppConfigData, monkeypatch: pytest.MonkeyPatch) -> Container:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIGDATA", fake.endpoint)
    return Container()


class TestEdges:
    """prefetch, iam-policy and check, through the source protocol."""

    def test_prefetch_fetches_it(self, fake, container):
        """prefetch() starts the session and polls once; the next call makes no request."""
        assert prefetch(container) == {}
        assert container.flags.fresh
        container.flags()
        assert fake.requests == {START: 1, GET: 1}

    def test_prefetch_skips_it_in_a_snapstart_init(self, fake, container, monkeypatch):
        """In a SnapStart init no session starts: a token must not go into the snapshot."""
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
        assert prefetch(container) == {}
        assert not container.flags.fresh
        assert fake.requests == {}

    def test_check_fetches_it(self, fake, container):
        """check resolves it once: OK."""
        results = check_container(container)
        assert [(result.name, result.outcome) for result in results] == [("flags", OK)]

    def test_iam_policy_names_the_configuration(self):
        """Names become `*` in the ARN, with the note saying why."""
        policy = policy_for(Container, region="eu-west-1", account="123456789012")
        assert policy.document["Statement"] == [
            {
                "Sid": "ReadAppConfig",
                "Effect": "Allow",
                "Action": [
                    "appconfig:StartConfigurationSession",
                    "appconfig:GetLatestConfiguration",
                ],
                "Resource": [
                    "arn:aws:appconfig:eu-west-1:123456789012:"
                    "application/*/environment/*/configuration/*"
                ],
            }
        ]
        assert any("AppConfig ARNs hold ids" in note for note in policy.notes)

    def test_iam_policy_with_ids(self):
        """Ids go into the ARN as they are."""

        class ById(containers.DeclarativeContainer):
            flags = AppConfig("abc1234", "env5678", "prf9012")

        policy = policy_for(ById, region="eu-west-1", account="123456789012")
        assert policy.document["Statement"][0]["Resource"] == [
            "arn:aws:appconfig:eu-west-1:123456789012:"
            "application/abc1234/environment/env5678/configuration/prf9012"
        ]
