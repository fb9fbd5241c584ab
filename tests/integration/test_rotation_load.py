"""Invocations through rotations against a real PostgreSQL: warm environments and cold starts.

Each environment is the decorated example handler imported as a module of its
own (its own container, boto3 client and connection), invoked in a loop on a
thread of its own. Warm environments invoke throughout; new ones cold-start
every quarter second while the rotation runs. The figures are printed
(`pytest -s`) and quoted in docs/rotation.md.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.postgres import PostgresServer, seed_database_secret
from tests.recording import count_calls
from tests.rotator import Rotator

HANDLER = Path(__file__).resolve().parents[2] / "examples" / "db_refresh_on_auth_failure.py"
SECRET = "/prod/db/credentials"
EVENT = {"sql": "SELECT 1"}
WARM = 4
COLD_START_EVERY = 0.25
WINDOW = 2.0


class Environment(threading.Thread):
    """One execution environment: imports the handler (a cold start), then invokes until stopped."""

    def __init__(self, index: int, stop: threading.Event) -> None:
        super().__init__(name=f"environment-{index}", daemon=True)
        self.module_name = f"rotation_environment_{index}"
        self.stop = stop
        self.module: ModuleType | None = None
        self.invocations = 0
        self.failures: list[str] = []

    def run(self) -> None:
        spec = importlib.util.spec_from_file_location(self.module_name, HANDLER)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.module_name] = module  # wiring finds the module by its name
        spec.loader.exec_module(module)
        self.module = module
        while not self.stop.is_set():
            self.invocations += 1
            try:
                module.handler(EVENT, None)
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
            self.stop.wait(0.02)

    def close(self) -> None:
        if self.module is not None:
            self.module.container.connection.reset()
            self.module.container.unwire()
        sys.modules.pop(self.module_name, None)


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def run_through_rotation(
    postgres: PostgresServer, moto_server: Any, client: Any, rotator: Rotator
) -> dict[str, Any]:
    """Warm environments, a rotation with cold starts during it; the figures after it."""
    stop = threading.Event()
    environments = [Environment(index, stop) for index in range(WARM)]
    for environment in environments:
        environment.start()
    try:
        wait_for(lambda: all(e.invocations >= 2 for e in environments))
        moto_server.reset_counts()
        rotator_reads = count_calls(client, "GetSecretValue")
        rotation = threading.Thread(target=rotator.rotate, daemon=True)
        rotation.start()
        while rotation.is_alive():
            environments.append(Environment(len(environments), stop))
            environments[-1].start()
            rotation.join(COLD_START_EVERY)
        started = sum(e.invocations for e in environments)
        wait_for(
            lambda: sum(e.invocations for e in environments) >= started + 2 * len(environments)
        )
        stop.set()
        for environment in environments:
            environment.join(30)
        reads = moto_server.requests["secretsmanager.GetSecretValue"] - len(rotator_reads)
        return {
            "environments": len(environments),
            "invocations": sum(e.invocations for e in environments),
            "failed": sum(len(e.failures) for e in environments),
            "GetSecretValue": reads,
            "sessions": postgres.sessions("app", "app_clone"),
            "rotations": rotator.rotations,
            "errors": [f for e in environments for f in e.failures],
        }
    finally:
        stop.set()
        for environment in environments:
            environment.join(30)
            environment.close()


@pytest.mark.parametrize("terminate", [False, True], ids=["sessions-kept", "sessions-ended"])
@pytest.mark.parametrize("alternating", [False, True], ids=["single-user", "alternating-users"])
def test_no_invocation_fails_through_a_rotation(
    postgres, moto_server, aws_client, alternating, terminate
):
    """0 failed invocations, at most one session per environment, a few reads per environment."""
    client = aws_client("secretsmanager")
    seed_database_secret(postgres, client, SECRET, alternating=alternating)
    rotator = Rotator(
        client,
        SECRET,
        postgres,
        alternating=alternating,
        window_seconds=WINDOW,
        terminate_sessions=terminate,
    )
    figures = run_through_rotation(postgres, moto_server, client, rotator)
    print(f"\nrotation alternating={alternating} terminate={terminate}: {figures}")
    assert figures["rotations"] == 1
    assert figures["failed"] == 0
    # New environments cold-start every 0.25 s while the rotation runs (a few seconds).
    assert figures["environments"] >= WARM + 3
    assert figures["sessions"] <= figures["environments"]
    # A cold start reads AWSCURRENT, and AWSPENDING at most once more when it is refused;
    # a warm environment reads AWSPENDING at most once when its session ended.
    assert figures["GetSecretValue"] <= 2 * figures["environments"]


def test_a_database_refusing_every_password_bounds_the_reads(postgres, moto_server, aws_client):
    """Every login refused for 11 s: every invocation fails, at most 4 reads per environment."""
    client = aws_client("secretsmanager")
    seed_database_secret(postgres, client, SECRET)
    stop = threading.Event()
    environments = [Environment(index, stop) for index in range(2)]
    for environment in environments:
        environment.start()
    try:
        wait_for(lambda: all(e.invocations >= 2 for e in environments))
        postgres.set_password("app", "a password no secret holds")
        postgres.terminate("app")
        moto_server.reset_counts()
        started = sum(e.invocations for e in environments)
        failed_before = sum(len(e.failures) for e in environments)
        time.sleep(11)
        stop.set()
        for environment in environments:
            environment.join(30)
        reads = moto_server.requests["secretsmanager.GetSecretValue"]
        invocations = sum(e.invocations for e in environments) - started
        failed = sum(len(e.failures) for e in environments) - failed_before
        print(
            f"\nrefusing everything for 11 s: {invocations} invocations, {failed} failed, "
            f"{reads} GetSecretValue for {len(environments)} environments"
        )
        # Every invocation fails; one per environment may have begun before the count
        # (an invocation is counted as it starts, its failure as it ends).
        assert invocations >= len(environments)
        assert invocations <= failed <= invocations + len(environments)
        # Per environment (one secret): AWSCURRENT again and AWSPENDING at most once per 10 s.
        assert reads <= 4 * len(environments)
    finally:
        stop.set()
        for environment in environments:
            environment.join(30)
            environment.close()
