"""What `mypy --strict` knows each provider returns: checked by mypy, never run by pytest.

`assert_type` fails the type check when a provider's static type drifts.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from typing_extensions import assert_type

from lambda_cache_di import (
    CachedCall,
    DynamoDBItems,
    DynamoDBValue,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
)


def word_count(text: str) -> int:
    return len(text.split())


def string_list(value: Any) -> list[str]:
    """For a StringList parameter: a `list[str]` at run time already, now statically too."""
    return list(value)


def size(path: Path) -> int:
    return path.stat().st_size


def account(sts: Any) -> str:
    return str(sts.get_caller_identity()["Account"])


def check_ssm() -> None:
    assert_type(SSMParameter("/app/name")(), str)
    assert_type(SSMParameter("/app/name", transform=len)(), int)
    assert_type(SSMParameter("/app/doc", transform="json")(), Any)
    assert_type(SSMParameter("/app/name").refresh(), str)
    assert_type(SSMParameter("/app/hosts", transform=string_list)(), list[str])
    assert_type(SSMParameters(["/app/a", "/app/b"])(), dict[str, str])
    assert_type(SSMParameters(["/app/a"], transform=word_count)(), dict[str, int])
    assert_type(SSMParameters({"a": "/app/a"}, transform="json")(), dict[str, Any])
    assert_type(SSMParametersByPath("/app/")(), dict[str, str])
    assert_type(SSMParametersByPath("/app/", transform=word_count)(), dict[str, int])


def check_secrets() -> None:
    assert_type(Secret("db")(), str)
    assert_type(Secret("db", transform="json")(), Any)
    assert_type(Secret("db", transform=json.loads)(), Any)
    assert_type(Secret("db", transform=word_count)(), int)
    assert_type(Secrets(["a", "b"])(), dict[str, str])
    assert_type(Secrets(["a"], transform="json")(), dict[str, Any])
    assert_type(Secrets(["a"], transform=word_count)(), dict[str, int])


def check_s3() -> None:
    assert_type(S3File("s3://bucket/key")(), Path)
    assert_type(S3File("s3://bucket/key", transform=size)(), int)


def check_dynamodb() -> None:
    assert_type(DynamoDBValue("table", "key")(), Any)
    assert_type(DynamoDBValue("table", {"id": "a", "sk": 1})(), Any)
    assert_type(DynamoDBValue("table", "key", transform=Decimal)(), Decimal)
    assert_type(DynamoDBItems("table", "partition")(), dict[str, Any])
    assert_type(DynamoDBItems("table", "partition", transform=str)(), dict[str, str])


def check_calls() -> None:
    assert_type(CachedCall(account)(), str)
    assert_type(CachedCall(account, transform=len)(), int)
    assert_type(CachedCall(account, transform="json")(), Any)
