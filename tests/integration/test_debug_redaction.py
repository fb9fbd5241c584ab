"""botocore at DEBUG over HTTP to moto: no secret or SecureString the library fetches is logged.

Every record of every logger is captured by a handler on the root logger and
formatted in full (message with its arguments, exception text, and the
record's attributes), then searched for the values stored in moto.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import (
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
    prefetch,
)
from lambda_cache_di.fetchers.redaction import BodyRedactor


class Capture(logging.Handler):
    """Every record, formatted in full."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.texts.append(self.format(record))
        self.texts.append(repr(vars(record)))


@pytest.fixture
def debug_log() -> Iterator[Capture]:
    """botocore and urllib3 at DEBUG, every record captured at the root logger."""
    capture = Capture()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "botocore", "urllib3")}
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    logging.getLogger("botocore").setLevel(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def marker() -> str:
    return f"MARKER-{uuid.uuid4()}"


@pytest.fixture
def stored(aws_client: Callable[..., Any], marker: str) -> dict[str, Any]:
    """Two secrets and two SecureString parameters holding the marker, and the clients."""
    secrets = aws_client("secretsmanager")
    ssm = aws_client("ssm")
    for name in ("app/alpha", "app/beta"):
        secrets.create_secret(Name=name, SecretString=f"{marker}-{name}")
    for name in ("/app/alpha", "/app/beta"):
        ssm.put_parameter(Name=name, Value=f"{marker}-{name}", Type="SecureString")
    return {"secretsmanager": secrets, "ssm": ssm}


def leaks(capture: Capture, marker: str) -> list[str]:
    return [text for text in capture.texts if marker in text]


PROVIDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "Secret": lambda c: Secret("app/alpha", client=c["secretsmanager"]),
    "Secrets": lambda c: Secrets(["app/alpha", "app/beta"], client=c["secretsmanager"]),
    "SSMParameter": lambda c: SSMParameter("/app/alpha", client=c["ssm"]),
    "SSMParameters": lambda c: SSMParameters(["/app/alpha", "/app/beta"], client=c["ssm"]),
    "SSMParametersByPath": lambda c: SSMParametersByPath("/app", client=c["ssm"]),
}


@pytest.mark.parametrize("kind", PROVIDERS)
def test_provider_values_stay_out_of_debug_records(
    kind: str, stored: dict[str, Any], debug_log: Capture, marker: str
) -> None:
    """The value arrives, botocore logs its response body, and no record holds the value."""
    value = PROVIDERS[kind](stored)()
    assert marker in str(value)
    assert any("Response body:" in text for text in debug_log.texts)
    assert leaks(debug_log, marker) == []


def test_prefetch_values_stay_out_of_debug_records(
    stored: dict[str, Any], debug_log: Capture, marker: str
) -> None:
    """A batched, parallel prefetch of secrets and SecureStrings logs no value at DEBUG."""

    class App(containers.DeclarativeContainer):
        secretsmanager = providers.Object(stored["secretsmanager"])
        ssm = providers.Object(stored["ssm"])
        alpha = Secret("app/alpha", client=secretsmanager)
        beta = Secret("app/beta", client=secretsmanager)
        parameter_alpha = SSMParameter("/app/alpha", client=ssm)
        parameter_beta = SSMParameter("/app/beta", client=ssm)

    container = App()
    assert prefetch(container) == {}
    assert container.beta() == f"{marker}-app/beta"
    assert any("Response body:" in text for text in debug_log.texts)
    assert leaks(debug_log, marker) == []


def test_the_applications_own_requests_are_logged_as_usual(
    stored: dict[str, Any], debug_log: Capture, marker: str
) -> None:
    """Redaction is scoped to the library's fetches: the app's own call is logged unchanged."""
    Secret("app/alpha", client=stored["secretsmanager"])()
    stored["secretsmanager"].get_secret_value(SecretId="app/beta")
    assert [text for text in leaks(debug_log, marker) if "Response body:" in text] != []
    assert all(f"{marker}-app/alpha" not in text for text in debug_log.texts)


def test_the_filter_is_installed_once(stored: dict[str, Any], debug_log: Capture) -> None:
    """However many fetches, the body logger carries exactly one redactor."""
    for _ in range(3):
        PROVIDERS["Secret"](stored)()
    parsers = logging.getLogger("botocore.parsers")
    assert sum(isinstance(f, BodyRedactor) for f in parsers.filters) == 1
