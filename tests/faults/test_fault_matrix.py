"""Every fault in every cache state for every provider: what the caller sees, over real HTTP.

Each case stores version OLD, brings the provider to its state (cold: nothing
fetched; fresh: fetched 30 s ago; expired: fetched 61 s ago; stale-within and
stale-beyond: fetched 61 s and 91 s ago with a 30 s stale window), changes the
data to version NEW, turns the fault on and calls three times at the same
moment. The fault is then cleared, the clock moves past the back-off cap and
one more call must return what a fault-free cache would.

Throttling (DESIGN.md 8.2) differs: a value in hand is served for one more max
age with one request, and a cold call waits and tries again before it fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from dependency_injector import providers

from lambda_cache_di import FetchError, LambdaCacheError, NotFoundError
from lambda_cache_di.providers.arguments import DEFAULT_BACKOFF_CAP_SECONDS
from lambda_cache_di.testing import FakeClock
from tests.frames import frames_holding

from .proxy import Fault, FaultProxy
from .specs import READ_TIMEOUT, SPECS, Spec, build, error_texts, new_version

MISSING = "missing"  # the resource is deleted from moto: the answers are AWS's own not-found
TRANSIENT = (
    Fault.HTTP_500,
    Fault.HTTP_503,
    Fault.THROTTLE,
    Fault.RESET,
    Fault.DELAY,
    Fault.TRUNCATE,
    Fault.BARE_404,  # a 404 page from something that is not AWS: no AWS error code
)
FAULTS: tuple[Fault | str, ...] = (*TRANSIENT, Fault.DENIED, MISSING)
STATES = ("cold", "fresh", "expired", "stale-within", "stale-beyond")
MAX_AGE = 60.0
STALE_WINDOW = 30.0
AGE_IN_STATE = {"fresh": 30.0, "expired": 61.0, "stale-within": 61.0, "stale-beyond": 91.0}
CALLS_UNDER_FAULT = 3
# A call with nothing in hand waits out a throttle for 24 s (the default): pauses of
# rand(0, 1) x 2, 4, 8, 8 ... s make about eight tries, and the tries of one call count on
# in the next. Three calls made more than 45 tries in none of 200,000 simulated runs (40 at
# most). A try is at most two requests (the two secrets of `Secrets`), plus one batch a call.
MOST_TRIES_UNDER_FAULT = 45
MOST_REQUESTS_PER_TRY = 2


def throttling(spec: Spec, fault: Fault | str) -> bool:
    """Whether the fault reads as throttling: ThrottlingException/SlowDown, and any 503 of S3."""
    return fault is Fault.THROTTLE or (fault is Fault.HTTP_503 and spec.name == "S3File")


def fault_id(fault: Fault | str) -> str:
    return fault.value if isinstance(fault, Fault) else fault


class Outcomes:
    """Calls made in one case, checked as they happen and added to the session tally."""

    def __init__(self, spec: Spec, provider: Any, versions: dict[str, Any], tally: Counter[str]):
        self.spec, self.provider, self.versions, self.tally = spec, provider, versions, tally

    def call(self) -> Any:
        """The caller's view of one call, or the exception it raised."""
        self.tally["calls"] += 1
        try:
            result = self.spec.view(self.provider())
        except LambdaCacheError as exc:
            result = exc
            self.tally["leaked"] += self.leaks(error_texts(exc))
            if self.spec.name != "S3File":  # an S3 object is no secret; its bytes may sit in frames
                held = frames_holding(exc, list(self.versions))
                self.tally["in frames"] += len(held)
                assert held == []
        except Exception:
            self.tally["untyped"] += 1
            raise
        self.tally["leaked"] += self.leaks([repr(self.provider), str(self.provider.stats)])
        return result

    def leaks(self, texts: list[str]) -> int:
        return sum(version in text for text in texts for version in self.versions)

    def expect_value(self, result: Any, version: str) -> None:
        if result != self.versions[version]:
            self.tally["wrong"] += 1
        assert result == self.versions[version]

    def check_folder(self, folder: Path, allowed: set[bytes | None]) -> None:
        """Only the copy itself may be in the folder, holding a whole version or absent."""
        path = self.provider.local_path
        names = {entry.name for entry in folder.iterdir()} if folder.exists() else set()
        content = path.read_bytes() if path.exists() else None
        if not names <= {path.name} or content not in allowed:
            self.tally["partial"] += 1
        assert names <= {path.name}
        assert content in allowed


def expected_names(spec: Spec, provider: Any) -> tuple[str, ...]:
    if spec.name in ("SSMParameters", "Secrets"):  # a group names each missing member
        return tuple(provider.resource.split(", "))
    return (provider.resource,)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("fault", FAULTS, ids=fault_id)
def test_fault_in_state(
    spec: Spec,
    state: str,
    fault: Fault | str,
    proxy: FaultProxy,
    direct: Callable[[str], Any],
    proxied: Callable[..., Any],
    tmp_path: Path,
    fault_tally: Counter[str],
) -> None:
    """The caller gets the cached, stale or fresh value, or an error; never a wrong value."""
    old, new = new_version(), new_version()
    admin = direct(spec.service)
    spec.store(admin, old)
    clock = FakeClock()
    stale = STALE_WINDOW if state.startswith("stale") else 0.0
    folder = tmp_path / "copies"
    # The client is looked up at each fetch: a roomy read timeout outside the fault,
    # so a busy CI machine never times out there; a short one only for a hung endpoint.
    roomy = proxied(spec.service)
    clients = {"now": roomy}
    provider = build(
        spec,
        folder,
        client=providers.Callable(lambda: clients["now"]),
        clock=clock,
        max_age_in_seconds=MAX_AGE,
        stale_if_error_in_seconds=stale,
        jitter=0,  # each state's age counts on the value living exactly MAX_AGE
    )
    tally_before = {
        key: fault_tally[key] for key in ("wrong", "partial", "leaked", "in frames", "untyped")
    }
    outcomes = Outcomes(spec, provider, spec.versions(old, new), fault_tally)
    fault_tally["cases"] += 1
    if state != "cold":
        outcomes.expect_value(outcomes.call(), old)
        clock.tick(AGE_IN_STATE[state])
    spec.store(admin, new)
    proxy.reset_counts()
    if fault == MISSING:
        spec.remove(admin)
    else:
        proxy.mode = Fault(fault)
    if fault is Fault.DELAY:
        clients["now"] = proxied(spec.service, read_timeout=READ_TIMEOUT)

    results = [outcomes.call() for _ in range(CALLS_UNDER_FAULT)]
    fault_tally["requests"] += proxy.total
    throttled = throttling(spec, fault)
    serves_old = (
        state == "fresh"
        or (state == "stale-within" and fault in TRANSIENT)
        or (throttled and state != "cold")
    )
    if serves_old:
        for result in results:
            outcomes.expect_value(result, old)
    elif throttled:
        check_throttled(results, proxy.total)
    else:
        check_errors(spec, fault, provider, results)
    if state == "fresh":
        assert proxy.total == 0
    elif throttled:
        # A value in hand: one fetch, then the back-off window serves it without a request.
        # (Secrets: its throttled batch is tried again at once as one GetSecretValue each.)
        assert proxy.total == (3 if spec.name == "Secrets" else 1) or state == "cold"
    else:
        assert proxy.total == 2
    if spec.name == "S3File":
        outcomes.check_folder(folder, {None} if state == "cold" else {outcomes.versions[old]})

    proxy.clear()
    clients["now"] = roomy
    if fault == MISSING:
        spec.store(admin, new)
    clock.tick(DEFAULT_BACKOFF_CAP_SECONDS + 0.01)
    outcomes.expect_value(outcomes.call(), old if state == "fresh" else new)
    if spec.name == "S3File":
        outcomes.check_folder(folder, {outcomes.versions[old if state == "fresh" else new]})
    # This case's own tallies (the session's are printed at the end, not asserted here).
    assert {key: fault_tally[key] for key in tally_before} == tally_before


def check_errors(spec: Spec, fault: Fault | str, provider: Any, results: list[Any]) -> None:
    """Two requests fail with the library's error; the third call backs off without one."""
    first, second, third = results
    kind = NotFoundError if fault == MISSING else FetchError
    assert [type(result) for result in results] == [kind, kind, kind]
    if fault == MISSING:
        assert first.names == second.names == third.names == expected_names(spec, provider)
    elif fault is Fault.TRUNCATE and spec.json_protocol:
        # botocore parses a cut JSON body as an empty answer; the fetcher notices the gap.
        assert first.__cause__ is None
        assert " returned an incomplete response for " in str(first)
    else:
        assert isinstance(first.__cause__, (ClientError, BotoCoreError))
        assert str(first).endswith(f": {_code(first.__cause__)}")
    if isinstance(first, FetchError):
        assert (first.transient, third.transient) == (fault in TRANSIENT, fault in TRANSIENT)
    assert "backing off for " in str(third)
    assert third.__cause__ is second


def check_throttled(results: list[Any], requests: int) -> None:
    """Nothing in hand: each call waited through a few throttled requests, then failed."""
    assert all(isinstance(result, FetchError) and result.throttled for result in results)
    most = MOST_TRIES_UNDER_FAULT * MOST_REQUESTS_PER_TRY + CALLS_UNDER_FAULT
    assert CALLS_UNDER_FAULT <= requests <= most


def _code(exc: BaseException) -> str:
    response: Any = getattr(exc, "response", None)
    if not response:
        return type(exc).__name__
    # botocore leaves the code empty when an XML (S3) error body holds none.
    return str(
        response["Error"]["Code"] or f"HTTP {response['ResponseMetadata']['HTTPStatusCode']}"
    )
