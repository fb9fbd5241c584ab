"""Concurrent groups: `map_groups`, and the SSM and Secrets Manager group fetchers built on it.

Concurrency is shown with barriers, never with timings: a call that waits at a
barrier for its siblings passes only if they are in flight at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_cache_di import FetchError, NotFoundError
from lambda_cache_di.core.names import parse_parameter_name, parse_secret_id
from lambda_cache_di.fetchers.groups import MAX_GROUP_THREADS, map_groups
from lambda_cache_di.fetchers.secrets import (
    batch_get_secret_values,
    batch_get_secret_values_found,
)
from lambda_cache_di.fetchers.ssm import get_parameters, get_parameters_found

BARRIER_TIMEOUT = 10.0


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, operation)


def frames(traceback: TracebackType | None) -> Iterator[dict[str, Any]]:
    """The locals of each frame, but this file's (whose asserts pytest rewrites into locals)."""
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename != __file__:
            yield traceback.tb_frame.f_locals
        traceback = traceback.tb_next


def locals_text(error: BaseException) -> str:
    """Every local of every frame of an error's traceback, and of its causes, as text."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [
            repr(value) for f_locals in frames(seen.__traceback__) for value in f_locals.values()
        ]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


class Recorder:
    """Calls of a fake client: the thread of each, and how many were in flight at most."""

    def __init__(self, parties: int | None = None) -> None:
        self.threads: list[int] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT) if parties else None

    def enter(self) -> None:
        with self._lock:
            self.threads.append(threading.get_ident())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self._barrier is not None:
            self._barrier.wait()  # BrokenBarrierError unless all calls are in flight together

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class FakeSSM:
    """GetParameters over a dict of SecureStrings; names in `throttle` make the call fail."""

    def __init__(
        self, values: dict[str, str], recorder: Recorder, throttle: frozenset[str]
    ) -> None:
        self.values = values
        self.recorder = recorder
        self.throttle = throttle

    def get_parameters(self, Names: list[str], WithDecryption: bool) -> dict[str, Any]:
        self.recorder.enter()
        try:
            if self.throttle.intersection(Names):
                raise throttled("GetParameters")
            found = [
                {"Name": n, "Type": "SecureString", "Value": self.values[n], "Version": 1}
                for n in Names
                if n in self.values
            ]
            return {
                "Parameters": found,
                "InvalidParameters": [n for n in Names if n not in self.values],
            }
        finally:
            self.recorder.leave()


class FakeSecrets:
    """BatchGetSecretValue and GetSecretValue over a dict; ids in `throttle` make a call fail."""

    def __init__(
        self, values: dict[str, str], recorder: Recorder, throttle: frozenset[str]
    ) -> None:
        self.values = values
        self.recorder = recorder
        self.throttle = throttle

    def batch_get_secret_value(self, SecretIdList: list[str]) -> dict[str, Any]:
        self.recorder.enter()
        try:
            if self.throttle.intersection(SecretIdList):
                raise throttled("BatchGetSecretValue")
            found = [
                {
                    "Name": i,
                    "ARN": f"arn:aws:secretsmanager:us-east-1:1:secret:{i}-abcdef",
                    "SecretString": self.values[i],
                }
                for i in SecretIdList
                if i in self.values
            ]
            errors = [
                {"SecretId": i, "ErrorCode": "ResourceNotFoundException"}
                for i in SecretIdList
                if i not in self.values
            ]
            return {"SecretValues": found, "Errors": errors}
        finally:
            self.recorder.leave()

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.recorder.enter()
        try:
            if SecretId in self.throttle:
                raise throttled("GetSecretValue")
            return {"Name": SecretId, "SecretString": self.values[SecretId]}
        finally:
            self.recorder.leave()


def parameter_names(count: int) -> list[Any]:
    return [parse_parameter_name(f"/app/p{number:02}") for number in range(count)]


def secret_ids(count: int) -> list[Any]:
    return [parse_secret_id(f"/app/s{number:02}") for number in range(count)]


class TestMapGroups:
    """The helper itself."""

    def test_one_group_runs_on_the_calling_thread_alone(self):
        """A single group costs no thread: the call runs here and no thread is started."""
        before = threading.active_count()
        seen: list[int] = []
        assert map_groups(lambda group: seen.append(threading.get_ident()) or group * 2, [21]) == [
            42
        ]
        assert seen == [threading.get_ident()]
        assert threading.active_count() == before

    def test_no_group_no_call(self):
        """No groups: no call and an empty list."""
        assert map_groups(lambda group: 1 / 0, []) == []

    def test_groups_overlap_first_on_calling_thread_results_in_order(self):
        """Four groups are in flight together, the first on the calling thread; results in order."""
        recorder = Recorder(parties=4)

        def call(group: int) -> int:
            recorder.enter()
            recorder.leave()
            return group * 10

        assert map_groups(call, [1, 2, 3, 4]) == [10, 20, 30, 40]
        assert recorder.max_in_flight == 4
        assert threading.get_ident() in recorder.threads
        assert len(set(recorder.threads)) == 4

    def test_at_most_max_threads_besides_the_calling_one(self):
        """Seven groups with max_threads=2 run on at most three threads, three at a time."""
        recorder = Recorder()
        done = threading.Event()

        def call(group: int) -> int:
            recorder.enter()
            done.wait(0.01)  # lets the others pile up, if the cap allowed them
            recorder.leave()
            return group

        assert map_groups(call, list(range(7)), max_threads=2) == list(range(7))
        assert len(set(recorder.threads)) <= 3
        assert recorder.max_in_flight <= 3

    def test_default_cap_fits_botocores_connection_pool(self):
        """The default keeps requests in flight (calling thread included) under 10 connections."""
        assert MAX_GROUP_THREADS + 1 <= 10

    def test_error_of_first_failing_group_after_all_ended(self):
        """Groups 2 and 3 fail: the error of group 2 is raised once every call has ended."""
        ended: list[int] = []

        def call(group: int) -> str:
            if group in (2, 3):
                ended.append(group)
                raise ValueError(f"group {group}")
            ended.append(group)
            return f"secret-of-{group}"

        with pytest.raises(ValueError, match="group 2") as caught:
            map_groups(call, [0, 1, 2, 3, 4])
        assert sorted(ended) == [0, 1, 2, 3, 4]
        assert "secret-of-" not in locals_text(caught.value)

    def test_error_of_the_calling_threads_group_keeps_no_sibling_results(self):
        """The first group fails on the calling thread: its error is raised, no result kept."""

        def call(group: int) -> str:
            if group == 0:
                raise KeyError("group 0")
            return f"secret-of-{group}"

        with pytest.raises(KeyError) as caught:
            map_groups(call, [0, 1, 2])
        assert "secret-of-" not in locals_text(caught.value)

    def test_one_at_a_time_stops_at_the_first_failure(self):
        """Under throttling: in order on the calling thread; nothing sent after a refusal."""
        called: list[tuple[int, str]] = []
        served: list[str] = []

        def call(group: int) -> str:
            called.append((group, threading.current_thread().name))
            if group == 2:
                raise ValueError("group 2")
            return f"secret-of-{group}"

        def keep(result: str) -> None:
            served.append(result[-1])  # which group: this frame must hold no value

        with pytest.raises(ValueError, match="group 2") as caught:
            map_groups(call, [0, 1, 2, 3], on_served=keep, one_at_a_time=True)
        me = threading.current_thread().name
        assert called == [(0, me), (1, me), (2, me)]
        assert served == ["0", "1"]
        assert "secret-of-" not in locals_text(caught.value)

    def test_one_at_a_time_returns_every_result_in_order(self):
        assert map_groups(str, [3, 1, 2], one_at_a_time=True) == ["3", "1", "2"]


class TestSSMGroups:
    """SSMParameters' fetcher: 25 names, three GetParameters calls at once."""

    def test_25_names_in_three_overlapping_calls(self):
        """25 names make calls of 10, 10 and 5, all in flight together, the values all there."""
        names = parameter_names(25)
        recorder = Recorder(parties=3)
        client = FakeSSM({n.full: f"v-{n.full}" for n in names}, recorder, frozenset())
        values = get_parameters(client, names)
        assert {n.full: v for n, v in values.items()} == {n.full: f"v-{n.full}" for n in names}
        assert recorder.max_in_flight == 3
        assert len(set(recorder.threads)) == 3

    def test_every_missing_name_across_groups_in_one_error(self):
        """Missing names in the first and last groups are all named by one NotFoundError."""
        names = parameter_names(25)
        present = {
            n.full: f"SECRET-{n.full}" for n in names if n.full not in ("/app/p03", "/app/p24")
        }
        client = FakeSSM(present, Recorder(), frozenset())
        with pytest.raises(NotFoundError) as caught:
            get_parameters(client, names)
        assert caught.value.names == ("/app/p03", "/app/p24")
        assert "SECRET-" not in locals_text(caught.value)

    def test_found_and_missing_for_prefetch(self):
        """get_parameters_found keeps both: the values found and the missing names, in order."""
        names = parameter_names(15)
        present = {n.full: f"v{n.full[-2:]}" for n in names if n.full != "/app/p12"}
        values, missing = get_parameters_found(FakeSSM(present, Recorder(), frozenset()), names)
        assert [n.full for n in missing] == ["/app/p12"]
        assert {n.full: v for n, v in values.items()} == present

    def test_one_failing_call_fails_the_whole_refresh_without_values_in_frames(self):
        """A throttled third call raises a FetchError; no value of the others is in its frames."""
        names = parameter_names(25)
        client = FakeSSM(
            {n.full: f"SECRET-{n.full}" for n in names}, Recorder(), frozenset({"/app/p22"})
        )
        with pytest.raises(FetchError) as caught:
            get_parameters(client, names)
        assert caught.value.transient is True
        assert str(caught.value).startswith("GetParameters failed for /app/p20, ")
        assert "SECRET-" not in locals_text(caught.value)


class TestSecretsGroups:
    """Secrets' fetcher: 45 ids, three BatchGetSecretValue calls at once."""

    def test_45_ids_in_three_overlapping_calls(self):
        """45 ids make calls of 20, 20 and 5, all in flight together, the values all there."""
        ids = secret_ids(45)
        recorder = Recorder(parties=3)
        client = FakeSecrets({i.id: f"v-{i.id}" for i in ids}, recorder, frozenset())
        values = batch_get_secret_values(client, ids)
        assert values == {i: f"v-{i.id}" for i in ids}
        assert recorder.max_in_flight == 3

    def test_per_key_errors_across_groups_for_prefetch(self):
        """Missing ids in two different calls each get their own error code."""
        ids = secret_ids(45)
        present = {i.id: "v" for i in ids if i.id not in ("/app/s05", "/app/s44")}
        values, errors = batch_get_secret_values_found(
            FakeSecrets(present, Recorder(), frozenset()), ids
        )
        assert {i.id: code for i, code in errors.items()} == {
            "/app/s05": "ResourceNotFoundException",
            "/app/s44": "ResourceNotFoundException",
        }
        assert len(values) == 43

    def test_every_missing_id_in_one_error(self):
        """Missing ids of different calls are all named by one NotFoundError, values left out."""
        ids = secret_ids(45)
        present = {i.id: f"SECRET-{i.id}" for i in ids if i.id not in ("/app/s00", "/app/s40")}
        with pytest.raises(NotFoundError) as caught:
            batch_get_secret_values(FakeSecrets(present, Recorder(), frozenset()), ids)
        assert caught.value.names == ("/app/s00", "/app/s40")
        assert "SECRET-" not in locals_text(caught.value)

    def test_one_failing_call_fails_the_whole_refresh_without_values_in_frames(self):
        """A throttled secret fails the refresh, named alone; no other secret is in its frames.

        Its batch is throttled, so that batch's secrets are read one by one at once.
        """
        ids = secret_ids(45)
        client = FakeSecrets(
            {i.id: f"SECRET-{i.id}" for i in ids}, Recorder(), frozenset({"/app/s25"})
        )
        with pytest.raises(FetchError) as caught:
            batch_get_secret_values(client, ids)
        assert (caught.value.transient, caught.value.throttled) == (True, True)
        assert str(caught.value) == "BatchGetSecretValue failed for /app/s25 (ThrottlingException)"
        assert "SECRET-" not in locals_text(caught.value)


class TestPrefetch:
    """`prefetch` spreads batches over its pool, and a group's refresh in it overlaps its calls."""

    def container(self, client: Any, grouped: bool) -> Any:
        from dependency_injector import containers, providers

        from lambda_cache_di import SSMParameter, SSMParameters

        container = containers.DynamicContainer()
        container.ssm = providers.Object(client)
        names = [n.full for n in parameter_names(25)]
        if grouped:
            container.group = SSMParameters(names, client=container.ssm)
        else:
            for number, name in enumerate(names):
                setattr(container, f"p{number:02}", SSMParameter(name, client=container.ssm))
        return container

    @pytest.mark.parametrize("grouped", [True, False], ids=["SSMParameters", "SSMParameter x25"])
    def test_three_get_parameters_calls_in_flight_together(self, grouped: bool):
        """25 names, as one group or as 25 providers: prefetch sends 3 calls at once."""
        from lambda_cache_di import prefetch

        names = parameter_names(25)
        recorder = Recorder(parties=3)
        client = FakeSSM({n.full: f"v-{n.full}" for n in names}, recorder, frozenset())
        container = self.container(client, grouped)
        assert prefetch(container) == {}
        assert recorder.max_in_flight == 3
        assert len(recorder.threads) == 3


def test_many_threads_on_a_cold_group_make_one_refresh():
    """16 threads call a cold SSMParameters of 25 names at once: 3 calls in all, one answer."""
    from lambda_cache_di import SSMParameters

    names = parameter_names(25)
    recorder = Recorder()
    client = FakeSSM({n.full: f"v-{n.full}" for n in names}, recorder, frozenset())
    group = SSMParameters([n.full for n in names], client=client)
    start = threading.Barrier(16, timeout=BARRIER_TIMEOUT)
    answers: list[dict[str, Any]] = []

    def call() -> None:
        start.wait()
        answers.append(group())

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(recorder.threads) == 3
    assert len(answers) == 16
    assert all(answer == {n.full[5:]: f"v-{n.full}" for n in names} for answer in answers)
