"""Processes that see a fresh private mark prefetch without queueing on its lock (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_cache_di import SSMParameter
from tests import workers

PROCESSES = 8
PAUSE = 0.5  # seconds a request takes


def test_prefetching_a_marked_securestring_does_not_queue(
    shared_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight processes prefetching a SecureString marked private take about one request each."""
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", str(PROCESSES))
    seed = tmp_path / "seed.log"
    SSMParameter("/app/password", client=workers.SlowSecureSSM(str(seed), 0))()
    marks = [path.read_bytes() for path in shared_folder.glob("*.json")]
    assert len(marks) == 1 and b'"private":true' in marks[0] and b"pw" not in marks[0]
    log = tmp_path / "requests.log"
    barrier, results = workers.SPAWN.Barrier(PROCESSES), workers.SPAWN.Queue()
    processes = [
        workers.SPAWN.Process(
            target=workers.prefetch_secure, args=(str(log), PAUSE, barrier, results)
        )
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    got = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [(failures, value) for _, failures, value in got] == [([], "pw")] * PROCESSES
    spans = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    assert len(spans) == PROCESSES
    # Queued on the lock, the last would end 8 requests (4 s) after the first began.
    assert max(end for _, end in spans) - min(begin for begin, _ in spans) < 4 * PAUSE
    assert max(seconds for seconds, _, _ in got) < 4 * PAUSE
