"""Throttling across processes: the shared tier's key lock makes them wait for one fetch."""

from __future__ import annotations

import threading
from typing import Any

from lambda_cache_di import SSMParameter
from lambda_cache_di.errors import FetchError
from lambda_cache_di.testing import FakeClock

NAME = "/shared/throttled"


class ThrottledTwice:
    """An SSM client refused twice for a quota, then answering; counts every request."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def get_parameter(self, **_: Any) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
            calls = self.calls
        if calls <= 2:
            raise FetchError("GetParameter failed: ThrottlingException", throttled=True)
        return {"Parameter": {"Name": NAME, "Type": "String", "Value": "VALUE-shared"}}


def test_processes_wait_for_one_fetch_through_the_key_lock() -> None:
    """Four providers sharing a key (as four processes would) make three requests in all.

    Each holds its own file descriptor on the key's lock file, as separate
    processes do; the one that takes it waits out the throttling inside it.
    """
    clock = FakeClock()
    client = ThrottledTwice()
    processes = [SSMParameter(NAME, client=client, clock=clock, shared=True) for _ in range(4)]
    results: list[str] = []
    threads = [threading.Thread(target=lambda p=p: results.append(p())) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == ["VALUE-shared"] * 4
    assert client.calls == 3
    assert sum(p.stats.throttled for p in processes) == 2
