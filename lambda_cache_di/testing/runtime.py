"""Run a handler module under the real Lambda runtime interface client, against an emulator.

`run_handler` starts `python -m awslambdaric module.handler` (a test
dependency) in its own process group, polling a `RuntimeApi` emulator on
127.0.0.1, and kills the whole group on exit. `secret_copies_in_memory`
counts a marker in a live process's memory. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from . import FAKE_AWS_ENVIRONMENT
from .memory import secret_copies_in_memory
from .runtime_api import Invocation, InvocationFailed, RuntimeApi

__all__ = [
    "Invocation",
    "InvocationFailed",
    "LambdaRuntime",
    "RuntimeApi",
    "RuntimeExited",
    "run_handler",
    "runtime_environment",
    "secret_copies_in_memory",
]


T = TypeVar("T")


class RuntimeExited(Exception):
    """Raised when the runtime process exited while a test waited for it."""

    def __init__(self, returncode: int, log: Path) -> None:
        super().__init__(f"the runtime exited with code {returncode}; its output is in {log}")
        self.returncode = returncode


class LambdaRuntime:
    """A handler module running under `awslambdaric`, and the emulator it polls.

    Made by `run_handler` (or the `lambda_runtime` fixture), not by hand.

    Args:
        api: the Runtime API emulator the process polls.
        process: the `awslambdaric` process.
        log: the file that holds the process's stdout and stderr.
        workers: how many workers poll (`max_concurrency`, or 1).
        handler: the handler string, `module.function`, quoted by `InvocationFailed`.
        cwd: the process's working directory, quoted by `InvocationFailed`.
    """

    def __init__(
        self,
        api: RuntimeApi,
        process: subprocess.Popen[bytes],
        log: Path,
        workers: int,
        *,
        handler: str | None = None,
        cwd: str | None = None,
    ) -> None:
        self.api = api
        self.process = process
        self.log = log
        self.workers = workers
        self.handler = handler
        self.cwd = cwd

    @property
    def pid(self) -> int:
        """The awslambdaric process: the one worker, unless `max_concurrency` was given."""
        return self.process.pid

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        """Wait until every worker has finished its init and polls for an event.

        Raises `InvocationFailed` if the init failed, `RuntimeExited` if the runtime died.
        """
        with self._explained_failure():
            self._while_running(partial(self.api.wait_for_polls, self.workers), timeout)

    def invoke(self, event: Any, timeout: float = 30.0) -> Any:
        """Invoke the handler with `event`; its JSON response, decoded.

        Raises `InvocationFailed` if the handler or the init failed, `RuntimeExited`
        if the runtime died first.
        """
        request_id = self.api.queue(event, timeout_in_seconds=timeout)
        with self._explained_failure():
            invocation = self._while_running(partial(self.api.result, request_id), timeout)
        if invocation.outcome != "response":
            raise InvocationFailed(invocation, handler=self.handler, cwd=self.cwd)
        return invocation.json()

    @contextlib.contextmanager
    def _explained_failure(self) -> Iterator[None]:
        # The emulator knows nothing of the handler string or the folder: add them here.
        try:
            yield
        except InvocationFailed as failure:
            if failure.handler is not None:
                raise
            raise InvocationFailed(failure.invocation, handler=self.handler, cwd=self.cwd) from None

    def _while_running(self, wait: Callable[[float], T], timeout: float) -> T:
        # Wait in slices so that a runtime that died (no awslambdaric, a crash) fails fast.
        deadline = time.monotonic() + timeout
        while True:
            try:
                return wait(min(0.5, max(0.0, deadline - time.monotonic())))
            except TimeoutError:
                if self.process.poll() is not None:
                    raise RuntimeExited(self.process.returncode, self.log) from None
                if time.monotonic() >= deadline:
                    raise

    def output(self) -> str:
        """What the runtime and the handler wrote to stdout and stderr so far."""
        return self.log.read_text(errors="replace")

    def wait_for_exit(self, timeout: float = 30.0) -> int:
        """Wait for the runtime to exit on its own (after an init error); its exit code."""
        return self.process.wait(timeout)

    def stop(self) -> None:
        """Kill the runtime's process group (every worker) and wait for the runtime."""
        for signal_number in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, signal_number)
            except ProcessLookupError:
                break  # the whole group is gone
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        # A signal is delivered, not obeyed at once: wait until no worker of the group runs.
        deadline = time.monotonic() + 5
        while _running_in_group(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)


def _running_in_group(group: int) -> bool:
    """Whether a process of `group` still runs (zombies, dead but not reaped, do not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


def runtime_environment(
    api_address: str,
    *,
    cwd: Path,
    tmpdir: Path,
    endpoint_url: str | None,
    max_concurrency: int | None,
    snap_start: bool,
    environment: Mapping[str, str],
) -> dict[str, str]:
    """A clean environment for the runtime: only what Lambda would set, and fake credentials.

    The developer's AWS config and credentials files are out of reach, so no
    profile, region or endpoint of theirs applies.
    """
    if max_concurrency is not None and max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
    python_path = [str(cwd), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    variables = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": os.pathsep.join(python_path),
        "TMPDIR": str(tmpdir),
        "LAMBDA_TASK_ROOT": str(cwd),
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_LAMBDA_FUNCTION_NAME": "test-function",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **FAKE_AWS_ENVIRONMENT,
    }
    if endpoint_url is not None:
        variables["AWS_ENDPOINT_URL"] = endpoint_url
    if max_concurrency is not None:
        variables["AWS_LAMBDA_MAX_CONCURRENCY"] = str(max_concurrency)
    if snap_start:
        variables["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
    return {**variables, **environment}


@contextlib.contextmanager
def run_handler(
    handler: str,
    *,
    cwd: str | os.PathLike[str],
    tmpdir: str | os.PathLike[str],
    endpoint_url: str | None = None,
    max_concurrency: int | None = None,
    snap_start: bool = False,
    environment: Mapping[str, str] | None = None,
    on_restore: Callable[[LambdaRuntime], None] | None = None,
) -> Iterator[LambdaRuntime]:
    """Run `python -m awslambdaric handler` (`module.function`) in `cwd`; kill it on exit.

    With `max_concurrency`, awslambdaric forks that many workers; with
    `snap_start`, it runs the SnapStart hooks around `restore/next`, where
    `on_restore(runtime)` is called before the answer. `environment` adds or
    replaces variables of the runtime's environment; `tmpdir` is its TMPDIR.
    """
    started: list[LambdaRuntime] = []
    ready = threading.Event()

    def restore() -> None:
        ready.wait()  # the runtime object exists before its process can reach restore/next
        if on_restore is not None:
            on_restore(started[0])

    api = RuntimeApi(on_restore=restore)
    api.start()
    try:
        variables = runtime_environment(
            api.address,
            cwd=Path(cwd),
            tmpdir=Path(tmpdir),
            endpoint_url=endpoint_url,
            max_concurrency=max_concurrency,
            snap_start=snap_start,
            environment=environment or {},
        )
        started.append(_start(api, handler, cwd, tmpdir, variables, max_concurrency or 1))
        ready.set()
        try:
            yield started[0]
        finally:
            started[0].stop()
    finally:
        api.stop()


def _start(
    api: RuntimeApi,
    handler: str,
    cwd: str | os.PathLike[str],
    tmpdir: str | os.PathLike[str],
    variables: dict[str, str],
    workers: int,
) -> LambdaRuntime:
    with tempfile.NamedTemporaryFile(
        prefix="awslambdaric-", suffix=".log", dir=tmpdir, delete=False
    ) as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "awslambdaric", handler],
            cwd=cwd,
            env=variables,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one kill reaches every worker
        )
    return LambdaRuntime(
        api, process, Path(log.name), workers, handler=handler, cwd=os.path.abspath(cwd)
    )
