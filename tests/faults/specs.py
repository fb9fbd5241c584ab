"""The cached providers under test, each with a way to store, change and remove its data.

A `version` is a distinctive text such as "VALUE-<uuid>"; every value a spec
stores is derived from it, so a test can tell which version a caller got and
search for it in logs and messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_cache_di import (
    CachedCall,
    DynamoDBItems,
    DynamoDBValue,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
)
from lambda_cache_di.errors import FetchError
from lambda_cache_di.providers.base import CachedProvider
from tests.frames import exception_chain

BUCKET = "fault-bucket"
KEY = "models/model.json"
SECRET_NAMES = ("fault/alpha", "fault/beta")
PARAMETER_NAMES = ("/fault/alpha", "/fault/beta")
TABLE = "fault-table"


# Short enough that a hung request costs little, long enough for moto on a busy CI machine.
READ_TIMEOUT = 0.3  # seconds
CONNECT_TIMEOUT = 0.5
# One attempt per call: botocore's retry sleeps (up to 1 s for throttling) would
# dominate the matrix. test_backoff and test_timeouts keep botocore's retries.
ONE_ATTEMPT = {"mode": "standard", "total_max_attempts": 1}


def new_version() -> str:
    return f"VALUE-{uuid.uuid4()}"


def value_of(version: str, name: str) -> str:
    """The value stored under `name` for `version`: "VALUE-<uuid>-alpha"."""
    return f"{version}-{name.rsplit('/', 1)[-1]}"


def s3_body(version: str) -> bytes:
    """About 4 KB, so a truncated answer always cuts it."""
    return (version + "\n").encode() * 100


@dataclass(frozen=True)
class Spec:
    """How to drive one provider class against moto (`direct` clients bypass the proxy)."""

    name: str
    service: str
    json_protocol: bool
    store: Callable[[Any, str], None]
    remove: Callable[[Any], None]
    build: Callable[..., CachedProvider[Any]]
    expected: Callable[[str], Any]

    def view(self, result: Any) -> Any:
        """What a caller got, in the form `expected` returns: file bytes for S3File."""
        if isinstance(result, Path):
            return result.read_bytes() if result.exists() else None
        return result

    def versions(self, *candidates: str) -> dict[str, Any]:
        return {candidate: self.expected(candidate) for candidate in candidates}


def _put_parameters(names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def store(ssm: Any, version: str) -> None:
        for name in names:
            ssm.put_parameter(
                Name=name, Value=value_of(version, name), Type="SecureString", Overwrite=True
            )

    return store


def _delete_parameters(names: tuple[str, ...]) -> Callable[[Any], None]:
    def remove(ssm: Any) -> None:
        ssm.delete_parameters(Names=list(names))

    return remove


def _put_secrets(names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def store(secrets: Any, version: str) -> None:
        existing = {s["Name"] for s in secrets.list_secrets().get("SecretList", [])}
        for name in names:
            value = value_of(version, name)
            if name in existing:
                secrets.put_secret_value(SecretId=name, SecretString=value)
            else:
                secrets.create_secret(Name=name, SecretString=value)

    return store


def _delete_secrets(names: tuple[str, ...]) -> Callable[[Any], None]:
    def remove(secrets: Any) -> None:
        for name in names:
            secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)

    return remove


def _put_object(s3: Any, version: str) -> None:
    buckets = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if BUCKET not in buckets:
        s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=s3_body(version))


def _delete_object(s3: Any) -> None:
    s3.delete_object(Bucket=BUCKET, Key=KEY)


def _put_items(sorts: tuple[str, ...]) -> Callable[[Any, str], None]:
    def store(dynamodb: Any, version: str) -> None:
        if TABLE not in dynamodb.list_tables()["TableNames"]:
            dynamodb.create_table(
                TableName=TABLE,
                KeySchema=[
                    {"AttributeName": "id", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "id", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        for sort in sorts:
            item = {"id": {"S": "fault"}, "sk": {"S": sort}}
            dynamodb.put_item(
                TableName=TABLE, Item={**item, "value": {"S": value_of(version, sort)}}
            )

    return store


def _delete_items(sorts: tuple[str, ...]) -> Callable[[Any], None]:
    def remove(dynamodb: Any) -> None:
        for sort in sorts:
            dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": "fault"}, "sk": {"S": sort}})

    return remove


def read_parameter(ssm: Any) -> str:
    """A CachedCall of the user's own: GetParameter, checking the answer as a fetcher would."""
    response = ssm.get_parameter(Name=PARAMETER_NAMES[0], WithDecryption=True)
    if "Parameter" not in response:  # botocore reads a cut JSON body as an empty answer
        raise FetchError("GetParameter returned an incomplete response for it", transient=True)
    return str(response["Parameter"]["Value"])


SPECS = (
    Spec(
        "SSMParameter",
        "ssm",
        True,
        _put_parameters(PARAMETER_NAMES[:1]),
        _delete_parameters(PARAMETER_NAMES[:1]),
        lambda **options: SSMParameter(PARAMETER_NAMES[0], **options),
        lambda version: f"{version}-alpha",
    ),
    Spec(
        "SSMParameters",
        "ssm",
        True,
        _put_parameters(PARAMETER_NAMES),
        _delete_parameters(PARAMETER_NAMES),
        lambda **options: SSMParameters(list(PARAMETER_NAMES), **options),
        lambda version: {"alpha": f"{version}-alpha", "beta": f"{version}-beta"},
    ),
    Spec(
        "Secret",
        "secretsmanager",
        True,
        _put_secrets(SECRET_NAMES[:1]),
        _delete_secrets(SECRET_NAMES[:1]),
        lambda **options: Secret(SECRET_NAMES[0], **options),
        lambda version: f"{version}-alpha",
    ),
    Spec(
        "Secrets",
        "secretsmanager",
        True,
        _put_secrets(SECRET_NAMES),
        _delete_secrets(SECRET_NAMES),
        lambda **options: Secrets(list(SECRET_NAMES), **options),
        lambda version: {"alpha": f"{version}-alpha", "beta": f"{version}-beta"},
    ),
    Spec(
        "S3File",
        "s3",
        False,
        _put_object,
        _delete_object,
        lambda directory, **options: S3File(f"s3://{BUCKET}/{KEY}", directory=directory, **options),
        s3_body,
    ),
    Spec(
        "CachedCall",
        "ssm",
        True,
        _put_parameters(PARAMETER_NAMES[:1]),
        _delete_parameters(PARAMETER_NAMES[:1]),
        lambda **options: CachedCall(read_parameter, name=PARAMETER_NAMES[0], **options),
        lambda version: f"{version}-alpha",
    ),
    Spec(
        "DynamoDBValue",
        "dynamodb",
        True,
        _put_items(("alpha",)),
        _delete_items(("alpha",)),
        lambda **options: DynamoDBValue(TABLE, {"id": "fault", "sk": "alpha"}, **options),
        lambda version: f"{version}-alpha",
    ),
    Spec(
        "DynamoDBItems",
        "dynamodb",
        True,
        _put_items(("alpha", "beta")),
        _delete_items(("alpha", "beta")),
        lambda **options: DynamoDBItems(TABLE, "fault", **options),
        lambda version: {"alpha": f"{version}-alpha", "beta": f"{version}-beta"},
    ),
)


def build(spec: Spec, directory: Path, **options: Any) -> CachedProvider[Any]:
    """The provider of `spec`; S3File copies go to `directory`."""
    if spec.service == "s3":
        return spec.build(directory=directory, **options)
    return spec.build(**options)


def error_texts(error: BaseException) -> list[str]:
    """str and repr of every exception in the chain of `error`."""
    return [text for e in exception_chain(error) for text in (str(e), repr(e))]
