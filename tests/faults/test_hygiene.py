"""No parameter or secret value in logs, errors, repr or stats, whatever fails.

Every provider goes through every failure path that applies to it, over HTTP
through the fault proxy, with DEBUG logging on for the root logger, so for
`botocore` and `urllib3` too: the library redacts the response bodies botocore
logs for its own requests. S3 objects are no secrets; their records are not checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di import LambdaCacheError, NotFoundError, Secrets, SSMParameters, TransformError
from lambda_cache_di.testing import FakeClock
from tests.frames import frames_holding

from .proxy import Fault, FaultProxy
from .specs import SPECS, Spec, build, error_texts, new_version

PATHS = (
    "not-found",
    "access-denied",
    "throttling",
    "backoff-fail-fast",
    "stale-served",
    "truncated-body",
    "json-transform",
)
CASES = [
    (spec, path)
    for spec in SPECS
    for path in PATHS
    if path != "json-transform" or spec.name in ("Secret", "Secrets")
]


class Scenario:
    """One provider driven into one failure path; gathers every text a value could leak into."""

    def __init__(self, spec: Spec, provider: Any, admin: Any) -> None:
        self.spec, self.provider, self.admin = spec, provider, admin
        self.texts: list[str] = []
        self.errors: list[LambdaCacheError] = []
        self.markers: list[str] = []
        self.held: list[str] = []
        # Records logged during the provider's calls: the test's own set-up requests
        # (PutParameter with the value) are the application's traffic, not the library's.
        self.records: list[logging.LogRecord] = []
        self.caplog: pytest.LogCaptureFixture | None = None

    def call(self, times: int = 1) -> None:
        for _ in range(times):
            seen = len(self.caplog.records) if self.caplog else 0
            try:
                self.provider()
            except LambdaCacheError as exc:
                self.errors.append(exc)
                self.texts += error_texts(exc)
                if self.spec.name != "S3File":  # an S3 object is no secret
                    self.held += frames_holding(exc, self.markers)
            if self.caplog:
                self.records += self.caplog.records[seen:]
            self.texts += [repr(self.provider), str(self.provider), str(self.provider.stats)]


def log_texts(records: list[logging.LogRecord]) -> list[str]:
    """Message and formatted exception of every record, botocore's and urllib3's included."""
    formatter = logging.Formatter()
    texts = []
    for record in records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append(formatter.formatException(record.exc_info))
    return texts


@pytest.mark.parametrize(("spec", "path"), CASES, ids=lambda value: getattr(value, "name", value))
def test_no_value_leaks(
    spec: Spec,
    path: str,
    direct: Callable[[str], Any],
    proxied: Callable[..., Any],
    proxy: FaultProxy,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither the old nor the new value shows up in any log record, error, repr or stat."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="lambda_cache_di")
    old, new = new_version(), new_version()
    admin = direct(spec.service)
    spec.store(admin, old)
    clock = FakeClock()
    options: dict[str, Any] = {"clock": clock, "max_age_in_seconds": 60}
    if path == "stale-served":
        options["stale_if_error_in_seconds"] = 300
    if path == "json-transform":
        options["transform"] = "json"
    provider = build(spec, tmp_path, client=proxied(spec.service), **options)
    scenario = Scenario(spec, provider, admin)
    scenario.markers = [old, new]
    scenario.caplog = caplog
    if path != "json-transform":
        scenario.call()
        assert scenario.errors == []
        clock.tick(61)
    spec.store(admin, new)
    run_failure(path, scenario, proxy)

    assert any(record.name == "botocore.parsers" for record in scenario.records)
    texts = scenario.texts + log_texts(scenario.records)
    assert any(f"{provider.resource}" in text for text in texts)
    assert [text for text in texts if old in text or new in text] == []
    assert scenario.held == []


def run_failure(path: str, scenario: Scenario, proxy: FaultProxy) -> None:
    """Drive the provider into `path`: two calls that make requests, then calls in back-off."""
    if path == "not-found":
        scenario.spec.remove(scenario.admin)
    elif path == "access-denied":
        proxy.mode = Fault.DENIED
    elif path == "truncated-body":
        proxy.mode = Fault.TRUNCATE
    elif path == "backoff-fail-fast":
        proxy.mode = Fault.HTTP_500  # not throttling for any service (S3's 503 is)
    elif path != "json-transform":  # that one fails on the stored text alone
        proxy.mode = Fault.THROTTLE
    times = 6 if path == "backoff-fail-fast" else 3
    scenario.call(times=times)
    if path in ("stale-served", "throttling"):
        # Throttling serves the value in hand for one more max age (DESIGN.md 8.2).
        assert scenario.errors == []
        assert scenario.provider.stats.stale == 3
        return
    assert len(scenario.errors) == times
    assert all("backing off for " in str(error) for error in scenario.errors[2:])
    if path == "json-transform":
        assert all(isinstance(error, TransformError) for error in scenario.errors)


HEALTHY = "app/healthy"
BROKEN = "app/broken"


@pytest.mark.parametrize(
    ("failure", "transform"), [("missing", None), ("missing", "json"), ("not-json", "json")]
)
def test_healthy_secret_of_a_failed_batch_stays_out_of_frames(
    direct: Callable[[str], Any], failure: str, transform: str | None
) -> None:
    """When one secret of a batch fails, the other's value is in no frame of the error's chain."""
    admin = direct("secretsmanager")
    marker = new_version()
    admin.create_secret(Name=HEALTHY, SecretString=json.dumps({"password": marker}))
    if failure == "not-json":
        admin.create_secret(Name=BROKEN, SecretString=marker + "-not-json")
    provider = Secrets([HEALTHY, BROKEN], transform=transform, client=direct("secretsmanager"))
    with pytest.raises(LambdaCacheError) as caught:
        provider()
    assert type(caught.value).__name__ == (
        "NotFoundError" if failure == "missing" else "TransformError"
    )
    assert frames_holding(caught.value, [marker]) == []
    assert [text for text in error_texts(caught.value) if marker in text] == []


def test_healthy_parameter_of_a_failed_group_stays_out_of_frames(
    direct: Callable[[str], Any],
) -> None:
    """When one parameter of a group is missing, the other's SecureString is in no frame."""
    admin = direct("ssm")
    marker = new_version()
    admin.put_parameter(Name="/app/healthy", Value=marker, Type="SecureString")
    provider = SSMParameters(["/app/healthy", "/app/missing"], client=direct("ssm"))
    with pytest.raises(NotFoundError) as caught:
        provider()
    assert caught.value.names == ("/app/missing",)
    assert frames_holding(caught.value, [marker]) == []
