"""DynamoDB providers against moto's server over HTTP with real boto3 clients."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import (
    AwsClients,
    DynamoDBItems,
    DynamoDBValue,
    FetchError,
    NotFoundError,
    prefetch,
)
from lambda_cache_di.testing import FakeClock, MotoServer
from lambda_cache_di.tools.check import CheckResult, check_container
from lambda_cache_di.tools.iam import policy_for
from tests.unit.test_dynamodb_providers import TABLE, create_table, put

GET_ITEM = "DynamoDB_20120810.GetItem"
QUERY = "DynamoDB_20120810.Query"


@pytest.fixture
def dynamodb(aws_client: Any) -> Any:
    client = aws_client("dynamodb")
    create_table(client)
    return client


def container_of(**declared: Any) -> Any:
    """An instance of a declarative container holding `declared`."""
    return type("Declared", (containers.DeclarativeContainer,), dict(declared))()


class TestTTL:
    def test_value_and_items_requests(self, dynamodb: Any, moto_server: MotoServer) -> None:
        """One request per max age for each provider, counted by the server."""
        put(dynamodb, "app", "a", {"S": "one"})
        clock = FakeClock()
        exact = {"client": dynamodb, "clock": clock, "jitter": 0}  # ages counted exactly
        value = DynamoDBValue(TABLE, {"id": "app", "sk": "a"}, **exact)
        items = DynamoDBItems(TABLE, "app", **exact)
        moto_server.reset_counts()
        assert (value(), items()) == ("one", {"a": "one"})
        put(dynamodb, "app", "a", {"S": "two"})
        clock.tick(59)
        assert (value(), items()) == ("one", {"a": "one"})
        clock.tick(1)
        assert (value(), items()) == ("two", {"a": "two"})
        assert (moto_server.requests[GET_ITEM], moto_server.requests[QUERY]) == (2, 2)

    def test_default_client_and_aws_clients(self, dynamodb: Any, moto_endpoint: str) -> None:
        """The default client (AWS_ENDPOINT_URL) and AwsClients.dynamodb both reach the table."""
        put(dynamodb, "app", "a", {"S": "one"})
        aws = providers.Container(AwsClients)
        container = container_of(
            aws=aws,
            by_default=DynamoDBValue(TABLE, {"id": "app", "sk": "a"}),
            by_container=DynamoDBItems(TABLE, "app", client=aws.dynamodb),
        )
        assert (container.by_default(), container.by_container()) == ("one", {"a": "one"})


class TestSingleFlight:
    def test_sixteen_threads_one_request(self, dynamodb: Any, moto_server: MotoServer) -> None:
        """Sixteen threads on a cold provider make one Query over HTTP."""
        put(dynamodb, "app", "a", {"S": "one"})
        items = DynamoDBItems(TABLE, "app", client=dynamodb)
        moto_server.reset_counts()
        barrier = threading.Barrier(16)
        results: list[Any] = []

        def work() -> None:
            barrier.wait()
            results.append(items())

        threads = [threading.Thread(target=work) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert results == [{"a": "one"}] * 16
        assert moto_server.requests == {QUERY: 1}


class TestErrors:
    def test_missing_table_and_item(self, dynamodb: Any) -> None:
        """A missing table names the table; a missing item names the item."""
        with pytest.raises(NotFoundError) as table:
            DynamoDBItems("no-such-table", "app", client=dynamodb)()
        with pytest.raises(NotFoundError) as item:
            DynamoDBValue(TABLE, {"id": "app", "sk": "none"}, client=dynamodb)()
        assert (table.value.names, item.value.names) == (
            ("no-such-table",),
            ("config[id=app, sk=none]",),
        )

    def test_stale_if_error_after_the_table_is_unreachable(self, dynamodb: Any) -> None:
        """A transient failure after expiry serves the value within the stale window."""
        put(dynamodb, "app", "a", {"S": "one"})
        clock = FakeClock()
        clients = {"now": dynamodb}
        value = DynamoDBValue(
            TABLE,
            {"id": "app", "sk": "a"},
            client=providers.Callable(lambda: clients["now"]),
            clock=clock,
            stale_if_error_in_seconds=30,
        )
        assert value() == "one"
        import boto3

        clients["now"] = boto3.client(
            "dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"
        )
        clock.tick(61)
        assert value() == "one"
        clock.tick(40)
        with pytest.raises(FetchError):
            value()


class TestPrefetch:
    def test_each_provider_one_request_then_none(
        self, dynamodb: Any, moto_server: MotoServer
    ) -> None:
        """prefetch reads each provider once (no batch); calls after it make no request."""
        put(dynamodb, "app", "a", {"S": "one"})
        put(dynamodb, "app", "b", {"S": "two"})
        container = container_of(
            a=DynamoDBValue(TABLE, {"id": "app", "sk": "a"}, client=dynamodb),
            b=DynamoDBValue(TABLE, {"id": "app", "sk": "b"}, client=dynamodb),
            all=DynamoDBItems(TABLE, "app", client=dynamodb),
        )
        moto_server.reset_counts()
        assert prefetch(container) == {}
        assert moto_server.requests == {GET_ITEM: 2, QUERY: 1}
        moto_server.reset_counts()
        assert (container.a(), container.b(), container.all()) == (
            "one",
            "two",
            {"a": "one", "b": "two"},
        )
        assert sum(moto_server.requests.values()) == 0

    def test_failure_is_returned(self, dynamodb: Any) -> None:
        """A missing item is returned among the failures, never raised."""
        container = container_of(a=DynamoDBValue(TABLE, {"id": "x", "sk": "y"}, client=dynamodb))
        failures = prefetch(container)
        assert list(failures) == ["a"]
        assert isinstance(failures["a"], NotFoundError)


class TestIam:
    def test_get_item_and_query_on_the_table_arn(self) -> None:
        """GetItem for values, Query for partitions, each on the table's ARN."""

        class App(containers.DeclarativeContainer):
            value = DynamoDBValue("settings", "timeout")
            items = DynamoDBItems("flags", "app")

        document = policy_for(App, region="eu-west-1", account="111122223333").document
        statements = {s["Sid"]: (s["Action"], s["Resource"]) for s in document["Statement"]}
        assert statements == {
            "QueryDynamoDBPartitions": (
                ["dynamodb:Query"],
                ["arn:aws:dynamodb:eu-west-1:111122223333:table/flags"],
            ),
            "ReadDynamoDBItems": (
                ["dynamodb:GetItem"],
                ["arn:aws:dynamodb:eu-west-1:111122223333:table/settings"],
            ),
        }


class TestCheck:
    def test_reports_ok_and_missing(self, dynamodb: Any, moto_endpoint: str) -> None:
        """check reads each provider once: present ones are OK, a missing item is named."""
        put(dynamodb, "app", "a", {"S": "one"})

        class App(containers.DeclarativeContainer):
            present = DynamoDBValue(TABLE, {"id": "app", "sk": "a"})
            absent = DynamoDBValue(TABLE, {"id": "app", "sk": "zz"})
            items = DynamoDBItems(TABLE, "app")

        assert check_container(App) == [
            CheckResult("present", "config[id=app, sk=a]", "OK"),
            CheckResult("absent", "config[id=app, sk=zz]", "missing: config[id=app, sk=zz]"),
            CheckResult("items", "config[id=app]", "OK"),
        ]
