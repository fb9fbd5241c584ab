"""DynamoDB fetcher: one item's attribute (GetItem), one partition's items (a paginated Query).

Values leave here as text: the attribute values in DynamoDB's own JSON wire
format (binary as base64), which the shared tier stores as it is and which
`plain_value` turns into plain Python values. Numbers keep every digit on the
way, since the text holds them as DynamoDB sent them.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from ..errors import FetchError, NotFoundError
from .errors import incomplete, translated

# A partition read page by page stops here: 1,000 pages of up to 1 MB is more than
# any configuration a Lambda function should hold in memory.
MAX_QUERY_PAGES = 1000

KeyValue = str | int | Decimal | bytes


def key_attribute(value: KeyValue) -> dict[str, Any]:
    """A key value as a DynamoDB attribute value: text, number or binary (no boto3 needed)."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    return {"N": str(value)}


def get_value(
    client: Any,
    table: str,
    key: dict[str, KeyValue],
    value_attribute: str,
    consistent_read: bool,
    resource: str,
) -> str:
    """The wire text of one item's `value_attribute`; NotFoundError when there is none."""
    with translated("GetItem", resource, not_found=(table,)):
        response = client.get_item(
            TableName=table,
            Key={name: key_attribute(value) for name, value in key.items()},
            ConsistentRead=consistent_read,
            ProjectionExpression="#v",
            ExpressionAttributeNames={"#v": value_attribute},
            # Always in a whole answer: botocore parses a cut body as "no item".
            ReturnConsumedCapacity="TOTAL",
        )
    if "ConsumedCapacity" not in response:
        raise incomplete("GetItem", resource, "ConsumedCapacity")
    item = response.get("Item") or {}
    if value_attribute not in item:
        raise NotFoundError(
            (resource,), f"GetItem: not found: {resource} (no item with {value_attribute!r})"
        )
    return wire_text(item[value_attribute])


def query_partition(
    client: Any,
    table: str,
    partition: tuple[str, KeyValue],
    sort_attribute: str,
    value_attribute: str,
    consistent_read: bool,
    resource: str,
) -> str:
    """The wire text of `[[sort key, value], ...]` for every item of one partition."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#k = :k",
        "ProjectionExpression": "#s, #v",
        "ExpressionAttributeNames": {
            "#k": partition[0],
            "#s": sort_attribute,
            "#v": value_attribute,
        },
        "ExpressionAttributeValues": {":k": key_attribute(partition[1])},
        "ConsistentRead": consistent_read,
    }
    pairs: list[list[Any]] = []
    for _ in range(MAX_QUERY_PAGES):
        with translated("Query", resource, not_found=(table,)):
            response = client.query(**request)
        if "Items" not in response:
            raise incomplete("Query", resource, "Items")
        pairs += [
            _pair(item, sort_attribute, value_attribute, resource) for item in response["Items"]
        ]
        if not response.get("LastEvaluatedKey"):
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    else:
        raise FetchError(f"Query failed for {resource}: more than {MAX_QUERY_PAGES} pages")
    if not pairs:
        raise NotFoundError((resource,), f"Query: not found: {resource} (no items)")
    return wire_text(pairs)


def _pair(
    item: dict[str, Any], sort_attribute: str, value_attribute: str, resource: str
) -> list[Any]:
    if sort_attribute not in item:
        raise FetchError(f"Query on {resource}: an item has no sort key {sort_attribute!r}")
    if value_attribute not in item:
        sort = json.dumps(_from_wire(item[sort_attribute]), default=str)
        raise NotFoundError(
            (f"{resource} {sort_attribute}={sort}",),
            f"Query: not found: {value_attribute!r} of {sort_attribute}={sort} in {resource}",
        )
    return [item[sort_attribute], item[value_attribute]]


def wire_text(value: Any) -> str:
    """Attribute values as JSON text, binary as base64 (as DynamoDB sends it over HTTP)."""
    return json.dumps(value, default=_base64, separators=(",", ":"))


def _base64(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not a DynamoDB attribute value")


def plain_value(text: str) -> Any:
    """The plain Python value of `get_value`'s text."""
    return _from_wire(json.loads(text))


def plain_items(text: str) -> dict[Any, Any]:
    """The `{sort key: value}` dict of `query_partition`'s text."""
    return {_from_wire(sort): _from_wire(value) for sort, value in json.loads(text)}


def _from_wire(attribute: dict[str, Any]) -> Any:
    """boto3's TypeDeserializer, then whole numbers as int and binary as bytes."""
    from boto3.dynamodb.types import TypeDeserializer

    return _plain(TypeDeserializer().deserialize(_decoded(attribute)))


def _decoded(attribute: Any) -> Any:
    """The attribute value with base64 text made bytes again, at any depth."""
    if not isinstance(attribute, dict) or len(attribute) != 1:
        return attribute
    ((kind, inner),) = attribute.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(item) for item in inner]}
    if kind == "L":
        return {"L": [_decoded(item) for item in inner]}
    if kind == "M":
        return {"M": {name: _decoded(item) for name, item in inner.items()}}
    return attribute


def _plain(value: Any) -> Any:
    """Decimal to int when whole (else kept exact), Binary to bytes, at any depth."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, set):
        return {_plain(item) for item in value}
    value_bytes = getattr(value, "value", None)
    if isinstance(value_bytes, bytes):  # boto3's Binary
        return value_bytes
    return value
