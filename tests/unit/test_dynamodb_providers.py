"""DynamoDBValue and DynamoDBItems against moto in-process, aged by a fake clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambda_cache_di import (
    ConfigurationError,
    DynamoDBItems,
    DynamoDBValue,
    FetchError,
    NotFoundError,
    TransformError,
)
from lambda_cache_di.testing import FakeClock
from tests.recording import count_calls

TABLE = "config"


@pytest.fixture(scope="module")
def session() -> Any:
    """One boto3 session, so that each test's client reuses its loaded service model."""
    return boto3.session.Session(region_name="us-east-1")


def create_table(client: Any, name: str = TABLE, sort: bool = True) -> None:
    """A table keyed by `id` (text) and, with `sort`, `sk` (text), as Powertools' default."""
    schema = [{"AttributeName": "id", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "id", "AttributeType": "S"}]
    if sort:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "S"})
    client.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
    )


def put(client: Any, key: str, sort: str | None, value: dict[str, Any], **more: Any) -> None:
    item = {"id": {"S": key}, "value": value, **more}
    if sort is not None:
        item["sk"] = {"S": sort}
    client.put_item(TableName=TABLE, Item=item)


@pytest.fixture
def client(session: Any) -> Iterator[Any]:
    with mock_aws():
        dynamodb = session.client("dynamodb")
        create_table(dynamodb)
        yield dynamodb


class TestDynamoDBValue:
    """One item's value attribute."""

    def test_cached_until_max_age(self, client):
        """Within max age no call is made; at max age the new value is fetched."""
        put(client, "app", "flag", {"S": "one"})
        clock = FakeClock()
        value = DynamoDBValue(
            TABLE, {"id": "app", "sk": "flag"}, client=client, clock=clock, jitter=0
        )
        calls = count_calls(client, "GetItem")
        assert value() == "one"
        put(client, "app", "flag", {"S": "two"})
        clock.tick(59)
        assert value() == "one"
        clock.tick(1)
        assert value() == "two"
        assert len(calls) == 2
        assert (value.stats.hits, value.stats.misses, value.stats.errors) == (1, 2, 0)

    def test_request_reads_only_the_value_attribute(self, client):
        """GetItem asks for the value attribute alone, eventually consistent unless told."""
        put(client, "app", "flag", {"S": "one"})
        calls = count_calls(client, "GetItem")
        DynamoDBValue(TABLE, {"id": "app", "sk": "flag"}, client=client)()
        DynamoDBValue(TABLE, {"id": "app", "sk": "flag"}, client=client, consistent_read=True)()
        assert [call["ConsistentRead"] for call in calls] == [False, True]
        assert calls[0]["ProjectionExpression"] == "#v"
        assert calls[0]["ExpressionAttributeNames"] == {"#v": "value"}
        assert calls[0]["Key"] == {"id": {"S": "app"}, "sk": {"S": "flag"}}

    def test_partition_key_value_and_attribute_names(self, session):
        """A plain key is the value of `key_attribute`; `value_attribute` picks the attribute."""
        with mock_aws():
            dynamodb = session.client("dynamodb")
            create_table(dynamodb, sort=False)
            dynamodb.put_item(
                TableName=TABLE, Item={"id": {"S": "timeout"}, "setting": {"N": "30"}}
            )
            value = DynamoDBValue(TABLE, "timeout", "setting", client=dynamodb)
            assert value() == 30
            assert value.key == {"id": "timeout"}

    def test_plain_python_values(self, client):
        """Whole numbers are int, others exact Decimal; binary bytes; sets, maps, lists, None."""
        document = {
            "M": {
                "whole": {"N": "3"},
                "part": {"N": "1.25"},
                "bytes": {"B": b"\x00\xff"},
                "yes": {"BOOL": True},
                "nothing": {"NULL": True},
                "names": {"SS": ["a", "b"]},
                "numbers": {"NS": ["1", "2.5"]},
                "list": {"L": [{"S": "x"}, {"N": "7"}]},
            }
        }
        put(client, "app", "doc", document)
        assert DynamoDBValue(TABLE, {"id": "app", "sk": "doc"}, client=client)() == {
            "whole": 3,
            "part": Decimal("1.25"),
            "bytes": b"\x00\xff",
            "yes": True,
            "nothing": None,
            "names": {"a", "b"},
            "numbers": {1, Decimal("2.5")},
            "list": ["x", 7],
        }

    def test_json_and_callable_transforms(self, client):
        """`"json"` parses a text value; a callable gets the plain value."""
        put(client, "app", "json", {"S": '{"limit": 5}'})
        put(client, "app", "num", {"N": "41"})
        assert (
            DynamoDBValue(TABLE, {"id": "app", "sk": "json"}, client=client, transform="json")()[
                "limit"
            ]
            == 5
        )
        plus_one = DynamoDBValue(
            TABLE, {"id": "app", "sk": "num"}, client=client, transform=lambda v: v + 1
        )
        assert plus_one() == 42

    def test_transform_error_names_the_item(self, client):
        """A value the transform refuses is a TransformError naming the item, not the value."""
        put(client, "app", "json", {"S": "not-json-VALUE"})
        value = DynamoDBValue(TABLE, {"id": "app", "sk": "json"}, client=client, transform="json")
        with pytest.raises(TransformError) as raised:
            value()
        assert str(raised.value) == (
            "DynamoDB value config[id=app, sk=json] is not valid JSON: line 1 column 1"
        )

    def test_missing_item_and_attribute(self, client):
        """No item, or no value attribute, is a NotFoundError naming the item; nothing cached."""
        put(client, "app", "other", {"S": "x"})
        for sort, attribute in (("absent", "value"), ("other", "missing")):
            value = DynamoDBValue(TABLE, {"id": "app", "sk": sort}, attribute, client=client)
            with pytest.raises(NotFoundError) as raised:
                value()
            assert raised.value.names == (f"config[id=app, sk={sort}]",)
            assert value.age is None

    def test_missing_table(self, client):
        """A table that does not exist is a NotFoundError naming the table."""
        with pytest.raises(NotFoundError) as raised:
            DynamoDBValue("absent-table", "x", client=client)()
        assert raised.value.names == ("absent-table",)
        assert str(raised.value) == "GetItem: not found: absent-table (ResourceNotFoundException)"

    def test_other_error_is_fetch_error(self, client):
        """A key of the wrong shape is a FetchError naming the code, not transient."""
        with pytest.raises(FetchError) as raised:
            DynamoDBValue(TABLE, {"id": "app"}, client=client)()
        assert str(raised.value) == "GetItem failed for config[id=app]: ValidationException"
        assert raised.value.transient is False

    def test_sixteen_threads_one_request(self, client):
        """Sixteen threads on a cold provider make one GetItem call and all get the value."""
        put(client, "app", "flag", {"S": "one"})
        value = DynamoDBValue(TABLE, {"id": "app", "sk": "flag"}, client=client)
        calls = count_calls(client, "GetItem")
        results: list[Any] = []
        barrier = threading.Barrier(16)

        def work() -> None:
            barrier.wait()
            results.append(value())

        threads = [threading.Thread(target=work) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert results == ["one"] * 16
        assert len(calls) == 1

    def test_repr_names_the_item(self, client):
        """repr names the table and key, never the value."""
        put(client, "app", "flag", {"S": "VALUE-123"})
        value = DynamoDBValue(TABLE, {"id": "app", "sk": "flag"}, client=client)
        value()
        assert repr(value) == "<DynamoDBValue 'config[id=app, sk=flag]' max_age=60s age=0.0s>"


class TestDynamoDBItems:
    """Every item of one partition, keyed by sort key."""

    def test_partition_as_dict(self, client):
        """Items of the partition become `{sort key: value}`; other partitions stay out."""
        put(client, "app", "a", {"S": "one"})
        put(client, "app", "b", {"N": "2"})
        put(client, "other", "c", {"S": "no"})
        items = DynamoDBItems(TABLE, "app", client=client)
        assert items() == {"a": "one", "b": 2}
        assert items.resource == "config[id=app]"

    def test_transform_applies_to_each_value(self, client):
        """A transform runs once per value."""
        put(client, "app", "a", {"S": '{"x": 1}'})
        put(client, "app", "b", {"S": '{"x": 2}'})
        items = DynamoDBItems(TABLE, "app", client=client, transform="json")
        assert items() == {"a": {"x": 1}, "b": {"x": 2}}

    def test_empty_partition_is_not_found(self, client):
        """A partition with no item is a NotFoundError naming it."""
        with pytest.raises(NotFoundError) as raised:
            DynamoDBItems(TABLE, "nobody", client=client)()
        assert raised.value.names == ("config[id=nobody]",)

    def test_item_without_value_is_not_found(self, client):
        """An item of the partition without the value attribute is named in a NotFoundError."""
        put(client, "app", "a", {"S": "one"})
        client.put_item(TableName=TABLE, Item={"id": {"S": "app"}, "sk": {"S": "b"}})
        with pytest.raises(NotFoundError) as raised:
            DynamoDBItems(TABLE, "app", client=client)()
        assert raised.value.names == ('config[id=app] sk="b"',)

    def test_pages_are_followed(self):
        """Every page of a partition is read, each with the key the page before it ended at."""
        pages = [
            {"Items": [{"sk": {"S": "a"}, "value": {"S": "1"}}], "LastEvaluatedKey": {"k": 1}},
            {"Items": [{"sk": {"S": "b"}, "value": {"S": "2"}}]},
        ]
        starts: list[Any] = []

        class PagedClient:
            def get_item(self, **_: Any) -> None:
                raise AssertionError("not called")

            def query(self, **request: Any) -> dict[str, Any]:
                starts.append(request.get("ExclusiveStartKey"))
                return pages[len(starts) - 1]

        assert DynamoDBItems(TABLE, "app", client=PagedClient())() == {"a": "1", "b": "2"}
        assert starts == [None, {"k": 1}]


class TestConfiguration:
    """Definitions refused at construction."""

    @pytest.mark.parametrize(
        ("build", "message"),
        [
            (lambda: DynamoDBValue("ab", "k"), "table must be a table name of 3-255"),
            (lambda: DynamoDBValue("table name", "k"), "table must be a table name of 3-255"),
            (lambda: DynamoDBValue(TABLE, ""), "key must be non-empty str or bytes"),
            (lambda: DynamoDBValue(TABLE, True), "key must be non-empty str or bytes"),
            (lambda: DynamoDBValue(TABLE, {}), "key must name one or two attributes"),
            (lambda: DynamoDBValue(TABLE, {"a": 1, "b": 2, "c": 3}), "key must name one or two"),
            (lambda: DynamoDBValue(TABLE, "k", ""), "value_attribute must be an attribute name"),
            (lambda: DynamoDBValue(TABLE, "k", consistent_read=1), "consistent_read must be"),
            (lambda: DynamoDBItems(TABLE, 1.5), "partition_key_value must be non-empty"),
            (lambda: DynamoDBItems(TABLE, "p", sort_attribute="id"), "three different names"),
        ],
    )
    def test_rejected(self, build, message):
        """Each bad definition raises ConfigurationError naming the argument."""
        with pytest.raises(ConfigurationError, match=message):
            build()


class TestSharedTier:
    """Values shared between processes survive the store's JSON encoding."""

    def test_second_process_reads_the_store(self, client, monkeypatch, shared_folder: Path):
        """A second provider (another process) gets the same plain values with no request."""
        monkeypatch.setenv("LAMBDA_CACHE_DI_SHARED", "1")
        document = {"M": {"n": {"N": "1.5"}, "b": {"B": b"\x01"}, "t": {"BOOL": False}}}
        put(client, "app", "a", document)
        put(client, "app", "b", {"NS": ["3"]})
        calls = count_calls(client, "GetItem")
        queries = count_calls(client, "Query")
        for _ in range(2):  # two processes
            assert DynamoDBValue(TABLE, {"id": "app", "sk": "a"}, client=client)() == {
                "n": Decimal("1.5"),
                "b": b"\x01",
                "t": False,
            }
            assert DynamoDBItems(TABLE, "app", client=client)()["b"] == {3}
        assert (len(calls), len(queries)) == (1, 1)
        assert len(list(shared_folder.glob("*.json"))) == 2
