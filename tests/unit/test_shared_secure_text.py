"""A SecureString read back from a `shared=True` record is a SecureText again (issue 22)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from dependency_injector import containers

from lambda_cache_di import Derived, SSMParameter
from lambda_cache_di.core.records import Record, document, parse_record
from lambda_cache_di.fetchers.ssm import SecureText
from lambda_cache_di.snapstart import drop_secrets
from lambda_cache_di.testing import FakeClock

MARKER = "s3cr3t-MARKER-5ec7"


class FakeSSM:
    """Answers GetParameter with one SecureString; counts calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls["GetParameter"] += 1
        return {"Parameter": {"Name": Name, "Type": "SecureString", "Value": MARKER}}


def process(ssm: FakeSSM, clock: FakeClock) -> SSMParameter[Any]:
    """One process's provider of the shared SecureString."""
    return SSMParameter("/app/password", client=ssm, shared=True, clock=clock)


def test_a_record_keeps_secure_text_apart_from_plain_text():
    """SecureText, alone or in a group, is read back as SecureText; plain text stays str."""
    value = {"a": SecureText(MARKER), "b": "plain", "c": ["x"]}
    back = parse_record(document(Record(1.0, value)))
    assert back is not None
    assert [type(item) for item in back.value.values()] == [SecureText, str, list]
    assert back.value == value


@pytest.mark.parametrize("tag", [b'{"s":1}', b'{"s":"a","b":"x"}', b'{"s":["a"]}'])
def test_a_malformed_secure_tag_counts_as_absent(tag):
    """A tag that is not exactly what the library writes makes the record absent."""
    assert parse_record(b'{"fetched_at":1.0,"value":' + tag + b"}") is None


def test_a_value_read_back_is_private_and_dropped_before_a_snapshot():
    """Read from another process's record, the value is private: the hook drops it."""
    ssm, clock = FakeSSM(), FakeClock()
    assert process(ssm, clock)() == MARKER

    class App(containers.DeclarativeContainer):
        password = process(ssm, clock)

    container = App()
    assert type(container.password()) is SecureText
    assert (ssm.calls["GetParameter"], container.password.holds_private_value) == (1, True)
    drop_secrets(container)
    assert container.password.age is None


class Connection:
    def __init__(self, password: str) -> None:
        self.password = password


def test_a_derived_object_is_not_rebuilt_when_the_shared_value_did_not_change():
    """Fetched here, then read from another process's record: the same value, one build."""
    ssm, clock = FakeSSM(), FakeClock()
    mine, other = process(ssm, clock), process(ssm, clock)
    connection = Derived(Connection, mine)
    built = connection()
    for _ in range(3):
        clock.tick(61)
        other.refresh()  # another process fetches first and writes the record
        assert connection() is built
    assert ssm.calls["GetParameter"] == 4
