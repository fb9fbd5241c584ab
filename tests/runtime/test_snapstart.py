"""examples/snapstart.py under awslambdaric's SnapStart flow, memory searched at the snapshot."""

from __future__ import annotations

import sys

import pytest

from lambda_cache_di.testing import MotoServer
from lambda_cache_di.testing.runtime import LambdaRuntime, secret_copies_in_memory

from .conftest import DB_CONN, TABLE, StartRuntime

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/<pid>/mem, which only Linux has"
)

SECRET_MARKER = b"Snap-5f1c9e2a7d"  # the password inside DB_CONN
TABLE_MARKER = TABLE.encode()
assert SECRET_MARKER.decode() in DB_CONN


@pytest.fixture(scope="module")
def at_snapshot(start_runtime: StartRuntime) -> tuple[LambdaRuntime, dict[str, int]]:
    """The runtime after its restore, and the marker counts in its memory at /restore/next."""
    counts: dict[str, int] = {}

    def search_memory(runtime: LambdaRuntime) -> None:
        # Called before /restore/next is answered: the before-snapshot hooks have run.
        counts["secret"] = secret_copies_in_memory(runtime.pid, SECRET_MARKER)
        counts["table"] = secret_copies_in_memory(runtime.pid, TABLE_MARKER)

    runtime = start_runtime("examples.snapstart.handler", snap_start=True, on_restore=search_memory)
    runtime.api.wait_for_restore()
    return runtime, counts


def test_the_memory_search_finds_a_value_that_stays(at_snapshot):
    """Control: the table name, kept across the snapshot, is found in the process's memory."""
    _, counts = at_snapshot
    assert counts["table"] >= 1


def test_no_copy_of_the_secret_is_in_memory_at_the_snapshot(at_snapshot):
    """At /restore/next, after the before-snapshot hooks, the secret is nowhere in memory."""
    _, counts = at_snapshot
    assert counts["secret"] == 0


def test_after_the_restore_the_handler_answers(at_snapshot):
    """After the one restore/next and no restore error, an invocation answers exactly."""
    runtime, _ = at_snapshot
    assert runtime.api.restore_requests == 1
    assert runtime.api.restore_errors == []
    assert runtime.invoke({}) == {"table": TABLE, "db_host": "db.internal"}


@pytest.fixture(scope="module")
def requests_by_phase(start_runtime: StartRuntime, world: MotoServer) -> dict[str, dict[str, int]]:
    """The AWS requests of a second runtime's SnapStart init, and of its after-restore round."""
    phases: dict[str, dict[str, int]] = {}

    def count_init(runtime: LambdaRuntime) -> None:
        phases["init"] = dict(world.requests)
        world.reset_counts()

    world.reset_counts()
    runtime = start_runtime("examples.snapstart.handler", snap_start=True, on_restore=count_init)
    runtime.api.wait_for_restore()
    runtime.api.wait_for_polls(1)  # the after-restore hooks have run: it asks for an event
    phases["restore"] = dict(world.requests)
    return phases


def test_the_init_reads_the_parameter_and_no_secret(requests_by_phase):
    """The SnapStart init sends one GetParameters and nothing to Secrets Manager."""
    assert requests_by_phase["init"] == {"AmazonSSM.GetParameters": 1}


def test_the_restore_round_is_batched(requests_by_phase):
    """After the restore one GetParameters and one GetSecretValue fetch everything again."""
    assert requests_by_phase["restore"] == {
        "AmazonSSM.GetParameters": 1,
        "secretsmanager.GetSecretValue": 1,
    }
