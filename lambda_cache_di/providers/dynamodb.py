"""DynamoDB providers: one item's value attribute, or every item of one partition as a dict.

The two shapes Powertools' DynamoDBProvider offers, with its default
attribute names: the partition key `id`, the sort key `sk`, the value `value`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

from ..core.iam import Arns, IamGrant
from ..errors import ConfigurationError
from ..fetchers import dynamodb
from ..fetchers.dynamodb import KeyValue
from .arguments import AgeOptions
from .base import CachedProvider

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")
R = TypeVar("R")

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.\-]{3,255}")
_MAX_ATTRIBUTE_NAME = 255


def check_table(value: object, argument: str = "table") -> str:
    """A table name: 3 to 255 letters, digits, '_', '-' or '.'."""
    if not isinstance(value, str) or not _TABLE_NAME.fullmatch(value):
        raise ConfigurationError(
            f"{argument} must be a table name of 3-255 letters, digits, '_', '-' or '.', "
            f"not {value!r}"
        )
    return value


def check_attribute(value: object, argument: str) -> str:
    """An attribute name: a non-empty str of at most 255 characters."""
    if not isinstance(value, str) or not value or len(value) > _MAX_ATTRIBUTE_NAME:
        raise ConfigurationError(f"{argument} must be an attribute name, not {value!r}")
    return value


def check_key_value(value: object, argument: str) -> KeyValue:
    """A key value DynamoDB takes: non-empty text or bytes, or a number (int or Decimal)."""
    if isinstance(value, (str, bytes)) and value:
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ConfigurationError(
        f"{argument} must be non-empty str or bytes, an int or a Decimal, not {value!r}"
    )


def _shown(value: KeyValue) -> str:
    """How a description shows a key value: text as it is, numbers as digits, bytes as repr."""
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, bytes) else str(value)


class _DynamoDBSource(CachedProvider[T]):
    """What both DynamoDB providers share: the table, its value attribute, the read mode."""

    __slots__ = ("_consistent_read", "_table", "_value_attribute")
    service = "dynamodb"
    argument = "table"
    noun = "DynamoDB value"
    iam_action: ClassVar[tuple[str, str]]  # (statement id, action) for iam-policy

    def _init_source(self, value_attribute: object, consistent_read: object) -> None:
        self._value_attribute = check_attribute(value_attribute, "value_attribute")
        if not isinstance(consistent_read, bool):
            raise ConfigurationError(
                f"consistent_read must be True or False, not {consistent_read!r}"
            )
        self._consistent_read = consistent_read

    def _define(self, value: Any) -> None:
        self._table = check_table(value)

    @property
    def table(self) -> str:
        """The table name, resolved first if it was given as a provider."""
        self.resolve()
        return self._table

    @property
    def value_attribute(self) -> str:
        """The attribute whose value the provider returns."""
        return self._value_attribute

    @property
    def consistent_read(self) -> bool:
        """Whether reads are strongly consistent (twice the read capacity of eventual ones)."""
        return self._consistent_read

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """The one DynamoDB action of this kind (`iam_action`), on the table."""
        sid, action = self.iam_action
        return [IamGrant(sid, (action,), (arns.of("dynamodb", f"table/{self.table}"),))]


class DynamoDBValue(_DynamoDBSource[T]):
    """One item's `value_attribute`, as a plain Python value.

    `key` is the item's whole primary key as a dict (`{"pk": "app", "sk": "flag"}`)
    or the value of a partition key named `key_attribute` (default `"id"`, as
    Powertools). Numbers come back as `int` when whole, else as an exact
    `Decimal`; binary as `bytes`; sets as `set`. `table` may be a provider
    (`config.table_name`), resolved on first use.
    """

    __slots__ = ("_key",)
    iam_action = ("ReadDynamoDBItems", "dynamodb:GetItem")

    @overload
    def __init__(
        self: DynamoDBValue[Any],
        table: str | Any,
        key: KeyValue | Mapping[str, KeyValue],
        value_attribute: str = "value",
        *,
        key_attribute: str = "id",
        consistent_read: bool = False,
        transform: Literal["json"] | None = None,
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: DynamoDBValue[R],
        table: str | Any,
        key: KeyValue | Mapping[str, KeyValue],
        value_attribute: str = "value",
        *,
        key_attribute: str = "id",
        consistent_read: bool = False,
        transform: Callable[[Any], R],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    def __init__(
        self,
        table: str | Any,
        key: KeyValue | Mapping[str, KeyValue],
        value_attribute: str = "value",
        *,
        key_attribute: str = "id",
        consistent_read: bool = False,
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        self._key = _check_key(key, key_attribute)
        self._init_source(value_attribute, consistent_read)
        super().__init__(table, transform=transform, **options)

    @property
    def key(self) -> dict[str, KeyValue]:
        """The item's primary key, attribute name to value."""
        return dict(self._key)

    def _describe(self) -> str:
        key = ", ".join(f"{name}={_shown(value)}" for name, value in self._key.items())
        return f"{self._table}[{key}]"

    def _arguments(self) -> dict[str, Any]:
        return {
            "key": dict(self._key),
            "value_attribute": self._value_attribute,
            "consistent_read": self._consistent_read,
        }

    def _fetch_with(self, client: Any) -> str:
        return dynamodb.get_value(
            client,
            self._table,
            self._key,
            self._value_attribute,
            self._consistent_read,
            self._describe(),
        )

    def _transformed(self, raw: Any) -> Any:
        # The raw value is wire text (what the shared tier stores); callers get plain values.
        return super()._transformed(dynamodb.plain_value(raw))


class DynamoDBItems(_DynamoDBSource[T]):
    """Every item of one partition as a dict `{sort key: value attribute}` (a paginated Query).

    `partition_key_value` is the value of the partition key `key_attribute`
    (default `"id"`); `sort_attribute` (default `"sk"`) gives the dict's keys.
    Values are plain Python values, as `DynamoDBValue` gives; a transform
    applies to each. A partition with no item is a NotFoundError.
    """

    __slots__ = ("_key_attribute", "_partition", "_sort_attribute")
    iam_action = ("QueryDynamoDBPartitions", "dynamodb:Query")
    per_value = True

    @overload
    def __init__(
        self: DynamoDBItems[dict[str, Any]],
        table: str | Any,
        partition_key_value: KeyValue,
        value_attribute: str = "value",
        *,
        key_attribute: str = "id",
        sort_attribute: str = "sk",
        consistent_read: bool = False,
        transform: Literal["json"] | None = None,
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: DynamoDBItems[dict[str, R]],
        table: str | Any,
        partition_key_value: KeyValue,
        value_attribute: str = "value",
        *,
        key_attribute: str = "id",
        sort_attribute: str = "sk",
        consistent_read: bool = False,
        transform: Callable[[Any], R],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    def __init__(
        self,
        table: str | Any,
        partition_key_value: KeyValue,
        value_attribute: str = "value",
        *,
        key_attribute: str = "id",
        sort_attribute: str = "sk",
        consistent_read: bool = False,
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        self._key_attribute = check_attribute(key_attribute, "key_attribute")
        self._partition = check_key_value(partition_key_value, "partition_key_value")
        self._sort_attribute = check_attribute(sort_attribute, "sort_attribute")
        self._init_source(value_attribute, consistent_read)
        names = {self._key_attribute, self._sort_attribute, self._value_attribute}
        if len(names) != 3:
            raise ConfigurationError(
                "key_attribute, sort_attribute and value_attribute must be three different names"
            )
        super().__init__(table, transform=transform, **options)

    @property
    def partition_key_value(self) -> KeyValue:
        """The partition key value whose items are read."""
        return self._partition

    def _describe(self) -> str:
        return f"{self._table}[{self._key_attribute}={_shown(self._partition)}]"

    def _member(self, key: str) -> str:
        return f"DynamoDB value {self._describe()} {self._sort_attribute}={key}"

    def _arguments(self) -> dict[str, Any]:
        return {
            "partition_key_value": self._partition,
            "value_attribute": self._value_attribute,
            "key_attribute": self._key_attribute,
            "sort_attribute": self._sort_attribute,
            "consistent_read": self._consistent_read,
        }

    def _fetch_with(self, client: Any) -> str:
        return dynamodb.query_partition(
            client,
            self._table,
            (self._key_attribute, self._partition),
            self._sort_attribute,
            self._value_attribute,
            self._consistent_read,
            self._describe(),
        )

    def _transformed(self, raw: Any) -> Any:
        return super()._transformed(dynamodb.plain_items(raw))


def _check_key(key: object, key_attribute: object) -> dict[str, KeyValue]:
    """A whole primary key (one or two attributes), or a partition key value of `key_attribute`."""
    if not isinstance(key, Mapping):
        name = check_attribute(key_attribute, "key_attribute")
        return {name: check_key_value(key, "key")}
    if not 1 <= len(key) <= 2:
        raise ConfigurationError(
            f"key must name one or two attributes (partition and sort key), not {len(key)}"
        )
    return {
        check_attribute(name, "key"): check_key_value(value, f"key[{name!r}]")
        for name, value in key.items()
    }
