"""The emulator and the runner themselves: endpoints, workers, and a clean stop."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT
from lambda_cache_di.testing.runtime import (
    RuntimeApi,
    RuntimeExited,
    run_handler,
    runtime_environment,
)
from tests.runtime.conftest import REPOSITORY


@pytest.fixture
def api() -> Iterator[RuntimeApi]:
    emulator = RuntimeApi()
    emulator.start()
    yield emulator
    emulator.stop()


def status_of(api: RuntimeApi, method: str, path: str) -> int:
    request = urllib.request.Request(f"http://{api.address}{path}", data=b"{}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class TestEndpoints:
    def test_a_response_for_an_unknown_request_is_refused(self, api):
        """A response posted for a request id never handed out gets 400."""
        assert status_of(api, "POST", "/2018-06-01/runtime/invocation/nope/response") == 400

    def test_an_unknown_path_is_not_found(self, api):
        """Paths outside the Runtime API get 404."""
        assert status_of(api, "GET", "/2018-06-01/runtime/nothing") == 404

    def test_a_second_init_error_is_forbidden(self, api):
        """Lambda takes one init error per environment: the first gets 202, the next 403."""
        path = "/2018-06-01/runtime/init/error"
        assert [status_of(api, "POST", path), status_of(api, "POST", path)] == [202, 403]
        assert len(api.init_errors) == 2

    def test_a_result_that_never_comes_times_out(self, api):
        """Waiting for a request that no runtime polls raises TimeoutError."""
        request_id = api.queue({})
        with pytest.raises(TimeoutError, match=f"no result for {request_id}"):
            api.result(request_id, timeout=0.1)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_two_workers_serve_at_once_and_stop_leaves_no_process(tmp_path):
    """With max_concurrency=2 two forked workers take events side by side; stop kills both."""
    with run_handler(
        "tests.runtime.echo_handler.handler", cwd=REPOSITORY, tmpdir=tmp_path, max_concurrency=2
    ) as runtime:
        runtime.wait_until_ready()
        slow = runtime.api.queue({"sleep": 1})
        fast = runtime.api.queue({})
        answers = [runtime.api.result(slow).json(), runtime.api.result(fast).json()]
        assert [answer["echo"] for answer in answers] == [{"sleep": 1}, {}]
        assert [answer["request_id"] for answer in answers] == [slow, fast]
        workers = {answer["pid"] for answer in answers}
        assert len(workers) == 2
        assert runtime.pid not in workers
        assert all(os.getpgid(worker) == runtime.pid for worker in workers)
        assert [alive(pid) for pid in (runtime.pid, *workers)] == [True, True, True]
    assert [alive(pid) for pid in (runtime.pid, *workers)] == [False, False, False]


def test_a_runtime_that_dies_fails_the_invocation_at_once(tmp_path):
    """A process that exits without posting an init error raises RuntimeExited, not a timeout."""
    with run_handler("tests.runtime.crash_handler.handler", cwd=REPOSITORY, tmpdir=tmp_path) as rt:
        with pytest.raises(RuntimeExited, match="exited with code 3") as exited:
            rt.invoke({}, timeout=60)
        assert exited.value.returncode == 3


class TestEnvironment:
    def test_holds_only_what_lambda_sets_and_fake_credentials(self, monkeypatch, tmp_path):
        """The developer's profile and variables stay out; the Lambda variables are set."""
        monkeypatch.setenv("AWS_PROFILE", "production")
        monkeypatch.setenv("PYTHONPATH", "/elsewhere")
        variables = runtime_environment(
            "127.0.0.1:9001",
            cwd=tmp_path / "app",
            tmpdir=tmp_path,
            endpoint_url="http://127.0.0.1:5000",
            max_concurrency=8,
            snap_start=True,
            environment={"AWS_LAMBDA_FUNCTION_NAME": "orders"},
        )
        assert {name: value for name, value in variables.items() if name != "PATH"} == {
            "PYTHONPATH": f"{tmp_path / 'app'}{os.pathsep}/elsewhere",
            "TMPDIR": str(tmp_path),
            "LAMBDA_TASK_ROOT": str(tmp_path / "app"),
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_LAMBDA_FUNCTION_NAME": "orders",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            **FAKE_AWS_ENVIRONMENT,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_LAMBDA_MAX_CONCURRENCY": "8",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
        }

    def test_no_worker_is_refused(self, tmp_path):
        """max_concurrency=0 would start no worker: ValueError naming the argument."""
        with pytest.raises(ValueError, match="max_concurrency must be at least 1, not 0"):
            runtime_environment(
                "127.0.0.1:9001",
                cwd=tmp_path,
                tmpdir=tmp_path,
                endpoint_url=None,
                max_concurrency=0,
                snap_start=False,
                environment={},
            )
