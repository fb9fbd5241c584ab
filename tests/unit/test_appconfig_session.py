"""ConfigurationSession against a stub client: the answers the fake never gives."""

from __future__ import annotations

import io
from typing import Any

import pytest

from lambda_cache_di.errors import FetchError
from lambda_cache_di.fetchers.appconfig import Configuration, ConfigurationSession, Profile
from lambda_cache_di.testing import FakeClock

PROFILE = Profile("app", "env", "flags")


class StubClient:
    """Answers StartConfigurationSession with a token and each poll with the next given answer."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []

    def start_configuration_session(self, **request: str) -> dict[str, Any]:
        return {"InitialConfigurationToken": "initial"}

    def get_latest_configuration(self, ConfigurationToken: str) -> dict[str, Any]:
        self.sent.append(ConfigurationToken)
        answer = dict(self.answers.pop(0))
        answer["Configuration"] = io.BytesIO(answer.get("Configuration", b""))
        return answer


def session(clock: FakeClock) -> ConfigurationSession:
    return ConfigurationSession(PROFILE, lambda: clock)


def test_missing_interval_waits_the_default_minute():
    """An answer without NextPollIntervalInSeconds is taken as 60 s."""
    clock = FakeClock()
    client = StubClient(
        {"Configuration": b"one", "ContentType": "text/plain", "NextPollConfigurationToken": "t1"},
        {"Configuration": b"two", "ContentType": "text/plain", "NextPollConfigurationToken": "t2"},
    )
    polling = session(clock)
    assert polling.latest(client) == Configuration(b"one", "text/plain", None)
    clock.tick(59.9)
    assert polling.latest(client).content == b"one"
    clock.tick(0.1)
    assert polling.latest(client).content == b"two"
    assert client.sent == ["initial", "t1"]


def test_answer_without_a_next_token_is_an_incomplete_response():
    """No NextPollConfigurationToken: a transient FetchError, and the next call starts anew."""
    client = StubClient({"Configuration": b"one", "ContentType": "text/plain"})
    with pytest.raises(FetchError) as caught:
        session(FakeClock()).latest(client)
    assert caught.value.transient is True
    assert str(caught.value) == (
        "GetLatestConfiguration returned an incomplete response for app/env/flags "
        "(no NextPollConfigurationToken)"
    )


def test_start_without_a_token_is_an_incomplete_response():
    """A StartConfigurationSession answer without its token is a transient FetchError."""

    class NoToken(StubClient):
        def start_configuration_session(self, **request: str) -> dict[str, Any]:
            return {}

    with pytest.raises(FetchError, match="no InitialConfigurationToken"):
        session(FakeClock()).latest(NoToken())
