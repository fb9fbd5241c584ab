"""Derived: an object kept while its arguments are unchanged, rebuilt when one changes."""

from __future__ import annotations

import copy
import json
import logging
import os
import pickle
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from dependency_injector import containers, providers
from moto import mock_aws

from lambda_cache_di import CachedProvider, ConfigurationError, Derived, S3File, Secret
from lambda_cache_di.testing import FakeClock
from tests.recording import count_calls


class Box:
    """What the factories build: remembers its arguments and whether it was closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.closed = 0


class Recorder:
    """A factory and a close function that count their calls."""

    def __init__(self) -> None:
        self.built: list[Box] = []
        self.closed: list[Box] = []

    def build(self, *args: Any, **kwargs: Any) -> Box:
        box = Box(*args, **kwargs)
        self.built.append(box)
        return box

    def close(self, box: Box) -> None:
        box.closed += 1
        self.closed.append(box)


class Source:
    """A value that a test changes, given to Derived through a `providers.Callable`."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.reads = 0

    def read(self) -> Any:
        self.reads += 1
        return self.value


def build_box(*args: Any, **kwargs: Any) -> Box:
    """A module-level factory, so that a Derived using it can be pickled."""
    return Box(*args, **kwargs)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def secretsmanager() -> Iterator[Any]:
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1").client("secretsmanager")


class TestBuilding:
    """What the factory receives and how long its object is kept."""

    def test_resolved_arguments_reach_the_factory(self, recorder):
        """Providers are resolved, plain values passed as they are, keywords as keywords."""
        derived = Derived(
            recorder.build, providers.Object("a"), 2, key=providers.Callable(lambda: [3])
        )
        box = derived()
        assert box.args == ("a", 2)
        assert box.kwargs == {"key": [3]}

    def test_same_object_while_unchanged(self, recorder):
        """Three calls with unchanged arguments build once and return one object."""
        source = Source("v1")
        derived = Derived(recorder.build, providers.Callable(source.read))
        first = derived()
        assert derived() is first
        assert derived() is first
        assert recorder.built == [first]
        assert source.reads == 4  # three calls and the build's own read under the lock

    def test_change_rebuilds_and_closes_the_old_object_once(self, recorder):
        """A changed value builds a new object, then closes the old one exactly once."""
        source = Source("v1")
        derived = Derived(recorder.build, providers.Callable(source.read), close=recorder.close)
        old = derived()
        source.value = "v2"
        new = derived()
        assert new is not old
        assert new.args == ("v2",)
        assert derived() is new
        assert recorder.closed == [old]
        assert (old.closed, new.closed) == (1, 0)

    def test_equal_new_value_keeps_the_object(self, recorder):
        """A new but equal value (a dict read again) does not rebuild."""
        source = Source({"user": "app", "password": "pw"})
        derived = Derived(recorder.build, providers.Callable(lambda: dict(source.read())))
        first = derived()
        for _ in range(3):
            assert derived() is first
        assert len(recorder.built) == 1

    def test_equal_value_of_another_type_rebuilds(self, recorder):
        """1 and 1.0 are equal but of different types: the object is rebuilt."""
        source = Source(1)
        derived = Derived(recorder.build, providers.Callable(source.read))
        first = derived()
        source.value = 1.0
        assert derived() is not first
        assert [box.args for box in recorder.built] == [(1,), (1.0,)]

    def test_value_that_cannot_be_compared_counts_as_changed(self, recorder):
        """A value whose == raises (an array, say) rebuilds rather than fail the call."""

        class Array:
            def __eq__(self, other: object) -> bool:
                raise ValueError("truth value of an array is ambiguous")

            __hash__ = None  # type: ignore[assignment]

        derived = Derived(recorder.build, providers.Factory(Array))
        assert derived() is not derived()
        assert len(recorder.built) == 2

    def test_file_replaced_at_the_same_path_rebuilds(self, recorder, tmp_path):
        """A path argument is compared by the file it names: a replaced file rebuilds."""
        path = tmp_path / "model.json"
        path.write_text("one")
        derived = Derived(recorder.build, providers.Object(path))
        first = derived()
        assert derived() is first
        replacement = tmp_path / "model.json.tmp"
        replacement.write_text("second")
        os.replace(replacement, path)
        second = derived()
        assert second is not first
        assert derived() is second
        assert len(recorder.built) == 2

    def test_missing_file_builds_once(self, recorder, tmp_path):
        """A path to no file is compared as such, and builds once."""
        derived = Derived(recorder.build, providers.Object(tmp_path / "absent"))
        assert derived() is derived()
        assert len(recorder.built) == 1

    def test_several_arguments_rebuild_when_any_changes(self, recorder):
        """With several provider arguments, a change in any one of them rebuilds once."""
        host, password = Source("db.local"), Source("pw-1")
        derived = Derived(
            recorder.build,
            providers.Callable(host.read),
            "fixed",
            password=providers.Callable(lambda: dict(secret=password.read())),
            close=recorder.close,
        )
        first = derived()
        assert derived() is first
        password.value = "pw-2"
        second = derived()
        assert derived() is second
        host.value = "db2.local"
        third = derived()
        assert [(box.args, box.kwargs) for box in recorder.built] == [
            (("db.local", "fixed"), {"password": {"secret": "pw-1"}}),
            (("db.local", "fixed"), {"password": {"secret": "pw-2"}}),
            (("db2.local", "fixed"), {"password": {"secret": "pw-2"}}),
        ]
        assert recorder.closed == [first, second]
        assert recorder.built[-1] is third

    def test_a_provider_given_twice_is_resolved_once_per_call(self, recorder):
        """The same provider as two arguments is called once per call and passed twice."""
        source = Source("v")
        argument = providers.Callable(source.read)
        derived = Derived(recorder.build, argument, key=argument)
        box = derived()
        assert (box.args, box.kwargs) == (("v",), {"key": "v"})
        reads = source.reads
        assert derived() is box
        assert source.reads == reads + 1

    def test_reset_closes_and_builds_anew(self, recorder):
        """reset() closes the object; the next call builds another."""
        derived = Derived(recorder.build, providers.Object("v"), close=recorder.close)
        first = derived()
        derived.reset()
        assert recorder.closed == [first]
        assert derived.built is False
        assert derived() is not first
        assert len(recorder.built) == 2


class TestSecretArgument:
    """A cached Secret as the argument: its refresh and its rotation."""

    def test_expired_unchanged_secret_keeps_the_object(self, recorder, secretsmanager):
        """An expired secret fetched again with the same value keeps the object."""
        secretsmanager.create_secret(Name="/db", SecretString='{"password": "pw-1"}')
        clock = FakeClock()
        secret = Secret("/db", transform="json", client=secretsmanager, clock=clock)
        derived = Derived(recorder.build, secret, close=recorder.close)
        calls = count_calls(secretsmanager, "GetSecretValue")
        first = derived()
        clock.tick(61)
        assert derived() is first
        assert derived() is first
        assert len(calls) == 2
        assert recorder.built == [first]
        assert recorder.closed == []

    def test_rotated_secret_rebuilds_after_expiry(self, recorder, secretsmanager):
        """A rotated secret rebuilds once it expires, and closes the old object."""
        secretsmanager.create_secret(Name="/db", SecretString='{"password": "pw-1"}')
        clock = FakeClock()
        secret = Secret("/db", transform="json", client=secretsmanager, clock=clock, jitter=0)
        derived = Derived(recorder.build, secret, close=recorder.close)
        old = derived()
        secretsmanager.put_secret_value(SecretId="/db", SecretString='{"password": "pw-2"}')
        clock.tick(59)
        assert derived() is old
        clock.tick(1)
        new = derived()
        assert new.args == ({"password": "pw-2"},)
        assert recorder.closed == [old]

    def test_singleton_keeps_the_rotated_away_value(self, recorder, secretsmanager):
        """The contrast: a Singleton of the same secret never sees the rotation, Derived does."""
        secretsmanager.create_secret(Name="/db", SecretString="pw-1")
        clock = FakeClock()
        secret = Secret("/db", client=secretsmanager, clock=clock)
        singleton = providers.Singleton(recorder.build, secret)
        derived = Derived(recorder.build, secret)
        assert (singleton().args, derived().args) == (("pw-1",), ("pw-1",))
        secretsmanager.put_secret_value(SecretId="/db", SecretString="pw-2")
        clock.tick(60)
        assert (singleton().args, derived().args) == (("pw-1",), ("pw-2",))

    def test_after_an_equal_refresh_the_new_value_is_kept(self, secretsmanager):
        """After an equal refresh the kept values are the new ones (no duplicate secret held)."""
        secretsmanager.create_secret(Name="/db", SecretString=json.dumps({"password": "pw-1"}))
        clock = FakeClock()
        secret = Secret("/db", transform="json", client=secretsmanager, clock=clock)
        derived = Derived(build_box, secret)
        first = derived()
        clock.tick(61)
        assert derived() is first
        assert derived._state is not None
        assert derived._state.values[0] is secret()


class TestThreads:
    """One build at a time: concurrent callers share it."""

    def run_threads(self, derived: Derived[Any], count: int = 16) -> list[Any]:
        barrier = threading.Barrier(count)
        results: list[Any] = [None] * count

        def call(index: int) -> None:
            barrier.wait()
            results[index] = derived()

        threads = [threading.Thread(target=call, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def slow_factory(self, recorder: Recorder) -> Any:
        def build(*args: Any) -> Box:
            # Hold the build long enough for the other threads to pile up behind it.
            time.sleep(0.2)
            return recorder.build(*args)

        return build

    def test_sixteen_threads_on_a_cold_derived_build_once(self, recorder):
        """Sixteen threads calling a cold Derived get one object, built once."""
        derived = Derived(self.slow_factory(recorder), providers.Object("v"))
        results = self.run_threads(derived)
        assert len(recorder.built) == 1
        assert all(result is recorder.built[0] for result in results)

    def test_sixteen_threads_during_a_rebuild_get_the_new_object(self, recorder):
        """After a change, sixteen threads get the new object; one build, one close."""
        source = Source("v1")
        derived = Derived(
            self.slow_factory(recorder), providers.Callable(source.read), close=recorder.close
        )
        old = derived()
        source.value = "v2"
        results = self.run_threads(derived)
        new = recorder.built[1]
        assert len(recorder.built) == 2
        assert all(result is new for result in results)
        assert recorder.closed == [old]


class TestFailures:
    """Errors of the factory and of close."""

    def test_factory_error_propagates_and_keeps_nothing(self, recorder):
        """A failing factory raises its error; the next call builds again."""
        attempts = []

        def flaky(value: str) -> Box:
            attempts.append(value)
            if len(attempts) == 1:
                raise ConnectionError("database unreachable")
            return recorder.build(value)

        derived = Derived(flaky, providers.Object("v"))
        with pytest.raises(ConnectionError, match="database unreachable"):
            derived()
        assert derived.built is False
        assert derived().args == ("v",)
        assert attempts == ["v", "v"]

    def test_failed_rebuild_keeps_the_old_object_open(self, recorder):
        """When the rebuild fails, the old object is neither closed nor dropped."""
        source = Source("v1")
        failing = Source(False)

        def build(value: str) -> Box:
            if failing.value:
                raise ConnectionError("refused")
            return recorder.build(value)

        derived = Derived(build, providers.Callable(source.read), close=recorder.close)
        old = derived()
        source.value, failing.value = "v2", True
        with pytest.raises(ConnectionError):
            derived()
        assert recorder.closed == []
        failing.value = False
        assert derived().args == ("v2",)
        assert recorder.closed == [old]

    def test_factory_error_frames_of_derived_hold_no_value(self):
        """No frame of this module in a factory error's traceback keeps an argument value."""

        def refuse(password: str) -> Box:
            raise PermissionError("login refused")

        derived = Derived(refuse, providers.Callable(lambda: "pw-SECRET-93c1"))
        with pytest.raises(PermissionError) as caught:
            derived()
        traceback = caught.value.__traceback__
        frames = 0
        while traceback is not None:
            frame = traceback.tb_frame
            if frame.f_code.co_filename.endswith(os.path.join("providers", "derived.py")):
                frames += 1
                for value in frame.f_locals.values():
                    assert "SECRET-93c1" not in repr(value)
            traceback = traceback.tb_next
        assert frames == 4  # _provide_one, _rebuild, _build_or_retry, _build

    def test_close_error_is_logged_by_type_and_new_object_returned(self, recorder, caplog):
        """A raising close() still returns the new object and logs the error type, no value."""
        source = Source("pw-OLD-55aa")

        def close(box: Box) -> None:
            raise RuntimeError(f"cannot close {box.args}")

        derived = Derived(recorder.build, providers.Callable(source.read), close=close)
        derived()
        source.value = "pw-NEW-66bb"
        with caplog.at_level(logging.WARNING, logger="lambda_cache_di.providers.derived"):
            new = derived()
        assert new.args == ("pw-NEW-66bb",)
        assert [record.getMessage() for record in caplog.records] == [
            "<Derived Recorder.build built>: close() of the old object raised RuntimeError"
        ]
        assert caplog.records[0].exc_info is None

    def test_factory_that_calls_its_own_derived_fails_clearly(self):
        """A factory that resolves its own Derived raises RuntimeError instead of hanging."""
        holder: list[Derived[Any]] = []
        derived: Derived[Any] = Derived(lambda value: holder[0](), providers.Object("v"))
        holder.append(derived)
        with pytest.raises(RuntimeError, match="calls that same Derived"):
            derived()


class TestDefinition:
    """Bad definitions, call-time arguments and repr."""

    def test_factory_must_be_callable(self):
        """A factory that cannot be called is refused at definition, by argument name."""
        with pytest.raises(ConfigurationError, match="factory must be callable, not str"):
            Derived("connect")  # type: ignore[arg-type]

    def test_close_must_be_callable(self):
        """A close that cannot be called is refused at definition, by argument name."""
        with pytest.raises(ConfigurationError, match="close must be callable or None, not int"):
            Derived(dict, close=1)  # type: ignore[arg-type]

    def test_call_time_arguments_are_refused(self):
        """Arguments at call time would be ambiguous for the kept object: TypeError."""
        derived = Derived(dict, a=1)
        with pytest.raises(TypeError, match="call it with none"):
            derived(b=2)

    def test_factory_may_take_a_keyword_named_factory(self):
        """The factory is positional-only, so `factory=` reaches it as a keyword."""
        assert Derived(dict, factory=providers.Object(1))() == {"factory": 1}

    def test_repr_names_the_factory_never_a_value(self):
        """repr shows the factory's name and state, never an argument or the object."""
        derived = Derived(build_box, providers.Object("pw-REPR-11"))
        assert repr(derived) == "<Derived build_box not built>"
        derived()
        assert repr(derived) == "<Derived build_box built>"
        derived.override(providers.Object("fake"))
        assert repr(derived) == "<Derived build_box built, overridden>"


class TestDependencyInjector:
    """Overriding, containers, traverse(), copies."""

    def test_override_replaces_the_object_without_building(self, recorder):
        """An overridden Derived returns the override and never calls its factory."""
        derived = Derived(recorder.build, providers.Object("v"))
        fake = Box("fake")
        with derived.override(providers.Object(fake)):
            assert derived() is fake
        assert recorder.built == []
        assert derived().args == ("v",)

    def test_overridden_argument_rebuilds_with_the_fake(self, recorder):
        """Overriding an argument provider is a change of value: the object is rebuilt."""
        secret = providers.Object("real")
        derived = Derived(recorder.build, secret, close=recorder.close)
        real = derived()
        secret.override(providers.Object("fake"))
        assert derived().args == ("fake",)
        assert recorder.closed == [real]

    def test_container_override_providers(self, recorder):
        """container.override_providers replaces a Derived like any provider."""

        class App(containers.DeclarativeContainer):
            conn = Derived(recorder.build, providers.Object("v"))

        app = App()
        with app.override_providers(conn=providers.Object("fake")):
            assert app.conn() == "fake"
        assert recorder.built == []

    def test_container_instances_copy_derived_and_its_secret(self, recorder, secretsmanager):
        """Each container instance gets its own Derived, built from its own Secret copy."""
        secretsmanager.create_secret(Name="/db", SecretString="pw-1")

        class App(containers.DeclarativeContainer):
            password = Secret("/db", client=secretsmanager)
            conn = Derived(recorder.build, password)

        first, second = App(), App()
        assert first.conn is not second.conn
        assert list(first.conn.related) == [first.password]
        assert list(second.conn.related) == [second.password]
        assert first.conn() is not second.conn()
        assert [box.args for box in recorder.built] == [("pw-1",), ("pw-1",)]

    def test_deepcopy_keeps_overriding(self, recorder):
        """A deep copy keeps its overriding, as dependency-injector's providers do."""
        derived = Derived(recorder.build, providers.Object("v"))
        derived.override(providers.Object("fake"))
        assert copy.deepcopy(derived)() == "fake"

    def test_traverse_finds_cached_providers_inside(self, recorder, secretsmanager):
        """container.traverse() finds a Secret and an S3File given only to a Derived."""

        class App(containers.DeclarativeContainer):
            conn = Derived(
                recorder.build,
                Secret("/db", client=secretsmanager),
                model=S3File("s3://models/churn.json", client=object()),
            )

        app = App()
        found = list(app.traverse(types=[CachedProvider]))
        assert sorted(type(provider).__name__ for provider in found) == ["S3File", "Secret"]
        assert set(map(id, found)) == set(map(id, app.conn.related))

    def test_copy_is_cold_and_shares_the_arguments(self, recorder):
        """copy.copy gives a working copy that builds its own object from the same providers."""
        source = Source("v1")
        argument = providers.Callable(source.read)
        derived = Derived(recorder.build, argument, close=recorder.close)
        built = derived()
        copied = copy.copy(derived)
        assert copied.built is False
        assert list(copied.related) == [argument]
        assert copied() is not built
        assert copied().args == ("v1",)

    def test_pickle_gives_a_working_cold_copy(self):
        """A pickled Derived of plain arguments comes back cold and builds the same way."""
        derived = Derived(build_box, providers.Object("v"), size=3)
        derived()
        restored = pickle.loads(pickle.dumps(derived))
        assert restored.built is False
        box = restored()
        assert (box.args, box.kwargs) == (("v",), {"size": 3})

    def test_pickle_of_a_local_factory_raises_at_the_copy(self, recorder):
        """A factory pickle cannot name fails when pickled, not later."""
        derived = Derived(lambda: None)
        with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
            pickle.dumps(derived)
