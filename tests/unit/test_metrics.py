"""EMF metrics (DESIGN.md 8.3), parsed as CloudWatch reads Embedded Metric Format."""

from __future__ import annotations

import io
import json
from typing import Any

from dependency_injector import containers

from lambda_cache_di import SSMParameter
from lambda_cache_di.errors import FetchError
from lambda_cache_di.metrics import EmfMetrics
from lambda_cache_di.testing import FakeClock

NAME = "/secret/path/db-password"
VALUE = "VALUE-hunter2"


class ThrottledOnce:
    """An SSM client that throttles every other call and answers the value otherwise."""

    def __init__(self) -> None:
        self.calls = 0

    def get_parameter(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls % 2:
            raise FetchError("GetParameter failed: ThrottlingException", throttled=True)
        return {"Parameter": {"Name": NAME, "Type": "String", "Value": VALUE}}


def cloudwatch_metrics(line: str) -> dict[tuple[str, ...], dict[str, float]]:
    """What CloudWatch extracts from one EMF log line: {(namespace, dims...): {metric: value}}.

    Follows the documented schema: `_aws.Timestamp` (ms), `_aws.CloudWatchMetrics[]`
    with `Namespace`, `Dimensions` (lists of top-level keys with string values) and
    `Metrics[]` of `Name`/`Unit`, each metric's value a number at the top level.
    """
    document = json.loads(line)
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 0
    extracted: dict[tuple[str, ...], dict[str, float]] = {}
    for directive in meta["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str) and directive["Namespace"]
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(document[key], str) for key in dimension_set)
            key = (directive["Namespace"], *(f"{k}={document[k]}" for k in dimension_set))
            values = extracted.setdefault(key, {})
            for metric in directive["Metrics"]:
                assert metric["Unit"] == "Count"
                value = document[metric["Name"]]
                assert isinstance(value, (int, float)) and not isinstance(value, bool)
                values[metric["Name"]] = value
    return extracted


def test_emf_record_as_cloudwatch_reads_it() -> None:
    """One line per provider that moved, counts since the last record, no name or value."""
    clock = FakeClock()

    class App(containers.DeclarativeContainer):
        db_password = SSMParameter(NAME, client=ThrottledOnce(), clock=clock, max_age_in_seconds=60)
        unused = SSMParameter("/other", client=ThrottledOnce(), clock=clock)

    app = App()
    out = io.StringIO()
    metrics = EmfMetrics(app, stream=out, clock=lambda: 1_700_000_000.5)

    @metrics.per_invocation
    def handler(event: Any, context: Any) -> str:
        return str(app.db_password())

    assert handler({}, None) == VALUE
    assert handler({}, None) == VALUE
    lines = out.getvalue().splitlines()
    assert [cloudwatch_metrics(line) for line in lines] == [
        {
            ("LambdaCacheDI", "Kind=SSMParameter", "Provider=db_password"): {
                "Hits": 0,
                "Misses": 1,
                "Errors": 0,
                "Stale": 0,
                "Throttled": 1,
            }
        },
        {
            ("LambdaCacheDI", "Kind=SSMParameter", "Provider=db_password"): {
                "Hits": 1,
                "Misses": 0,
                "Errors": 0,
                "Stale": 0,
                "Throttled": 0,
            }
        },
    ]
    assert json.loads(lines[0])["_aws"]["Timestamp"] == 1_700_000_000_500
    assert NAME not in out.getvalue() and VALUE not in out.getvalue()


def test_nothing_moved_prints_nothing() -> None:
    """A record with no count moved since the last one prints no line."""

    class App(containers.DeclarativeContainer):
        value = SSMParameter(NAME, client=ThrottledOnce(), clock=FakeClock())

    out = io.StringIO()
    assert EmfMetrics(App(), stream=out).record() == 0
    assert out.getvalue() == ""
