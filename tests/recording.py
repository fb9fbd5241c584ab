"""Record what a boto3 client sends, through botocore's own event hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def record_calls(
    client: Any,
    operation: str | None = None,
    pick: Callable[[str, dict[str, Any]], Any] = lambda name, params: (name, params),
) -> list[Any]:
    """`pick(operation, parameters)` of each call the client sends from now on (of `operation`)."""
    calls: list[Any] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if operation is None or model.name == operation:
            calls.append(pick(model.name, dict(params)))

    client.meta.events.register("provide-client-params", record)
    return calls


def count_calls(client: Any, operation: str) -> list[dict[str, Any]]:
    """The parameters of every call of `operation` the client sends from now on."""
    return record_calls(client, operation, lambda _, params: params)


def batch_calls(client: Any) -> list[list[str]]:
    """The SecretIdList of every BatchGetSecretValue call; a name filter fails the test."""

    def id_list(_: str, params: dict[str, Any]) -> list[str]:
        assert "Filters" not in params
        return list(params["SecretIdList"])

    return record_calls(client, "BatchGetSecretValue", id_list)
