"""Derived(refresh_on=...) and refresh_on(): a refused secret refreshed, AWSPENDING, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient
from moto import mock_aws

from lambda_cache_di import (
    ConfigurationError,
    Derived,
    RefreshPolicy,
    Secret,
    refresh_on,
    set_clock,
)
from lambda_cache_di.testing import FakeClock, LambdaContext
from tests.fakedb import FakeDatabase, Refused, close_session, open_session
from tests.frames import frames_holding
from tests.recording import record_calls
from tests.rotator import follow_current_in_moto
from tests.unit import rotation_app

NAME = "/db/password"


@pytest.fixture
def secretsmanager() -> Iterator[Any]:
    with mock_aws():
        client = boto3.session.Session(region_name="us-east-1").client("secretsmanager")
        client.create_secret(Name=NAME, SecretString="pw-1")
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def stages(client: Any) -> list[tuple[str, str | None]]:
    """(operation, VersionStage) of each Secrets Manager read from now on."""
    return record_calls(client, "GetSecretValue", lambda _, p: p.get("VersionStage"))


def start_rotation(client: Any, new_password: str) -> str:
    """createSecret: the new password stored as AWSPENDING; returns its version id."""
    token = f"{new_password:0<32}"
    client.put_secret_value(
        SecretId=NAME,
        ClientRequestToken=token,
        SecretString=new_password,
        VersionStages=["AWSPENDING"],
    )
    return token


def finish_rotation(client: Any, token: str) -> None:
    """finishSecret: AWSCURRENT moves to the pending version."""
    current = next(
        v["VersionId"]
        for v in client.list_secret_version_ids(SecretId=NAME)["Versions"]
        if "AWSCURRENT" in v["VersionStages"]
    )
    client.update_secret_version_stage(
        SecretId=NAME,
        VersionStage="AWSCURRENT",
        MoveToVersionId=token,
        RemoveFromVersionId=current,
    )
    follow_current_in_moto(NAME, token)


def session_of(database: FakeDatabase, client: Any, clock: FakeClock, **options: Any) -> Derived:
    password = Secret(NAME, client=client, clock=clock)
    policy = RefreshPolicy(Refused, clock=clock, sleep=clock.tick, **options)
    return Derived(open_session, database, password, close=close_session, refresh_on=policy)


class TestDerived:
    """A Derived whose factory is refused: refresh, AWSPENDING, bounded tries."""

    def test_refused_cached_password_is_refreshed(self, secretsmanager, clock):
        """A password rotated under a cached one: one refresh, one new session, the old closed."""
        database = FakeDatabase("pw-1")
        session = session_of(database, secretsmanager, clock)
        old = session()
        secretsmanager.put_secret_value(SecretId=NAME, SecretString="pw-2")
        database.accepted = {"pw-2"}
        database.terminate_all()
        clock.tick(20)
        calls = stages(secretsmanager)
        new = session.rebuild()
        assert database.attempts == ["pw-1", "pw-1", "pw-2"]
        assert (new.password, old.closed, database.open_sessions) == ("pw-2", True, 1)
        assert calls == [None]
        assert session() is new

    def test_pending_is_tried_inside_the_rotation_window(self, secretsmanager, clock):
        """Between setSecret and finishSecret a cold build uses AWSPENDING, and keeps it after."""
        database = FakeDatabase("pw-2")
        token = start_rotation(secretsmanager, "pw-2")
        session = session_of(database, secretsmanager, clock)
        calls = stages(secretsmanager)
        first = session()
        assert (first.password, database.attempts) == ("pw-2", ["pw-1", "pw-2"])
        assert calls == [None, "AWSPENDING"]
        finish_rotation(secretsmanager, token)
        clock.tick(61)
        assert session() is first
        assert calls == [None, "AWSPENDING", None]
        assert session.args[1]() == "pw-2"  # AWSCURRENT is now the value it was built from
        assert database.attempts == ["pw-1", "pw-2"]

    def test_unchanged_secret_rebuilds_a_broken_object(self, secretsmanager, clock):
        """rebuild() with an accepted secret: a new session, no Secrets Manager request."""
        database = FakeDatabase("pw-1")
        session = session_of(database, secretsmanager, clock)
        old = session()
        database.terminate_all()
        calls = stages(secretsmanager)
        new = session.rebuild()
        assert new is not old and old.closed
        assert calls == []

    def test_refusing_everything_raises_the_first_error_chained(self, secretsmanager, clock):
        """Every try refused: the first error, chained to the last, within the wait."""
        database = FakeDatabase()
        session = session_of(database, secretsmanager, clock, wait_in_seconds=2)
        started = clock()
        with pytest.raises(Refused) as caught:
            session()
        assert caught.value.__cause__ is not None
        assert caught.value.__cause__ is not caught.value
        assert clock() - started <= 2
        assert 3 <= len(database.attempts) <= 40
        assert frames_holding(caught.value, ["pw-1"]) == []

    def test_refusing_everything_bounds_requests_per_minute(self, secretsmanager, clock):
        """A minute of invocations against a database that refuses all: at most 13 reads."""
        database = FakeDatabase()
        session = session_of(database, secretsmanager, clock)
        calls = stages(secretsmanager)
        end = clock() + 60
        invocations = 0
        while clock() < end:
            invocations += 1
            with pytest.raises(Refused):
                session()
            clock.tick(0.1)
        assert invocations >= 15
        # AWSCURRENT at most every 10 s (7 in a minute), AWSPENDING (missing) as often.
        assert calls.count(None) <= 7
        assert calls.count("AWSPENDING") <= 7

    def test_other_errors_are_not_retried(self, secretsmanager, clock):
        """An error that refresh_on does not name propagates at once, nothing refreshed."""

        def broken(password: str) -> None:
            raise KeyError("host")

        policy = RefreshPolicy(Refused, clock=clock, sleep=clock.tick)
        derived = Derived(
            broken, Secret(NAME, client=secretsmanager, clock=clock), refresh_on=policy
        )
        calls = stages(secretsmanager)
        with pytest.raises(KeyError):
            derived()
        assert calls == [None]

    def test_copies_keep_the_policy(self, secretsmanager, clock):
        """A container's deep copy retries as the definition does."""
        database = FakeDatabase("pw-2")
        start_rotation(secretsmanager, "pw-2")
        session = providers.deepcopy(session_of(database, secretsmanager, clock))
        assert session().password == "pw-2"


class TestDecorator:
    """refresh_on above @inject in a wired module."""

    @pytest.fixture
    def app(self, secretsmanager) -> Iterator[Any]:
        database = FakeDatabase("pw-1")
        container = rotation_app.App(database=database, secretsmanager=secretsmanager)
        set_clock(container, rotation_app.CLOCK)
        container.wire(modules=[rotation_app])
        yield container, database
        container.unwire()

    def test_terminated_session_is_replaced_and_the_call_made_again(self, app):
        """Sessions ended: the handler gets a new one, the old one closed; nothing fails."""
        container, database = app
        assert rotation_app.handler({"sql": "SELECT 1"}, None) == "result of SELECT 1"
        old = container.session()
        database.terminate_all()
        assert rotation_app.handler({"sql": "SELECT 2"}, None) == "result of SELECT 2"
        assert old.closed and container.session() is not old
        assert database.open_sessions == 1

    def test_without_the_decorator_the_call_fails(self, app):
        """The contrast: @inject alone hands the terminated session to the handler again."""
        _, database = app
        rotation_app.unprotected({"sql": "SELECT 1"}, None)
        database.terminate_all()
        with pytest.raises(Refused):
            rotation_app.unprotected({"sql": "SELECT 2"}, None)

    def test_single_user_window(self, app, secretsmanager):
        """Password changed and sessions ended before finishSecret: AWSPENDING serves the retry."""
        container, database = app
        rotation_app.handler({"sql": "SELECT 1"}, None)
        start_rotation(secretsmanager, "pw-2")
        database.accepted = {"pw-2"}
        database.terminate_all()
        assert rotation_app.handler({"sql": "SELECT 2"}, None) == "result of SELECT 2"
        assert container.session().password == "pw-2"
        assert database.open_sessions == 1

    def test_injected_arguments_are_injected_again(self, app):
        """Arguments injected above the decorator are dropped for the retry and injected anew."""
        container, database = app
        old = container.session()
        database.terminate_all()
        assert rotation_app.handler({"sql": "SELECT 3"}, None, session=old) == "result of SELECT 3"
        assert old.closed

    def test_with_powertools_above(self, app):
        """Under Powertools' inject_lambda_context the retry works the same."""
        _, database = app
        context = LambdaContext()
        rotation_app.powertools_handler({"sql": "SELECT 1"}, context)
        database.terminate_all()
        assert rotation_app.powertools_handler({"sql": "SELECT 4"}, context) == "result of SELECT 4"

    def test_with_powertools_below(self, app):
        """Between refresh_on and @inject, Powertools' decorator does not stop the retry."""
        _, database = app
        context = LambdaContext()
        rotation_app.powertools_below({"sql": "SELECT 1"}, context)
        database.terminate_all()
        assert rotation_app.powertools_below({"sql": "SELECT 7"}, context) == "result of SELECT 7"

    def test_coroutine_function(self, app):
        """An async handler is retried the same way, awaited."""
        _, database = app
        asyncio.run(rotation_app.async_handler({"sql": "SELECT 1"}, None))
        database.terminate_all()
        result = asyncio.run(rotation_app.async_handler({"sql": "SELECT 8"}, None))
        assert result == "result of SELECT 8"

    def test_fastapi_route(self, app):
        """A FastAPI route with Depends(Provide[...]) gets a new session on the retry."""
        _, database = app
        client = TestClient(rotation_app.api)
        assert client.get("/query", params={"sql": "SELECT 1"}).status_code == 200
        database.terminate_all()
        response = client.get("/query", params={"sql": "SELECT 9"})
        assert response.json() == {"result": "result of SELECT 9"}
        assert database.open_sessions == 1

    def test_a_secret_given_is_refreshed(self, app, secretsmanager):
        """A Secret given to the decorator is fetched again and injected fresh on the retry."""
        container, database = app
        event = {"sql": "SELECT 5", "database": database}
        assert rotation_app.password_handler(event, None) == "result of SELECT 5"
        secretsmanager.put_secret_value(SecretId=NAME, SecretString="pw-3")
        database.accepted = {"pw-3"}
        rotation_app.CLOCK.tick(11)
        assert rotation_app.password_handler(event, None) == "result of SELECT 5"
        assert container.password() == "pw-3"

    def test_a_secret_given_uses_pending_for_the_retry(self, app, secretsmanager):
        """In the window a Secret given is overridden with AWSPENDING for the retry only."""
        container, database = app
        event = {"sql": "SELECT 10", "database": database}
        rotation_app.password_handler(event, None)
        start_rotation(secretsmanager, "pw-2")
        database.accepted = {"pw-2"}
        rotation_app.CLOCK.tick(11)
        assert rotation_app.password_handler(event, None) == "result of SELECT 10"
        assert database.attempts[-3:] == ["pw-1", "pw-1", "pw-2"]
        assert container.password() == "pw-1"  # AWSCURRENT until finishSecret

    def test_instance_providers_work_unwired(self, secretsmanager, clock):
        """Providers of a container instance may be given directly to a function never wired."""
        database = FakeDatabase("pw-1")
        session = session_of(database, secretsmanager, clock)

        @refresh_on(Refused, session, clock=clock, sleep=clock.tick)
        def query(sql: str) -> str:
            return session().query(sql)

        query("SELECT 1")
        database.terminate_all()
        assert query("SELECT 6") == "result of SELECT 6"

    def test_bad_arguments(self):
        """Exceptions must be exception types, and providers providers."""
        with pytest.raises(ConfigurationError, match="exception type"):
            refresh_on("OperationalError")
        with pytest.raises(ConfigurationError, match="providers to refresh"):
            refresh_on(Refused, 42)
        with pytest.raises(ConfigurationError, match="wait_in_seconds"):
            RefreshPolicy(Refused, wait_in_seconds=-1)
