"""The SSM fetcher with botocore's Stubber: results mapped back by name and selector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lambda_cache_di.core.names import parse_parameter_name
from lambda_cache_di.fetchers.ssm import get_parameters, group_names


@pytest.fixture
def ssm() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ssm", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def result(name: str, value: str, version: int, selector: str | None = None) -> dict[str, Any]:
    parameter: dict[str, Any] = {"Name": name, "Type": "String", "Value": value, "Version": version}
    if selector is not None:
        parameter["Selector"] = selector
    return parameter


def names(*texts: str) -> list[Any]:
    return [parse_parameter_name(text) for text in texts]


def test_groups_of_ten_whatever_the_selectors():
    """Selectors of one name share a call: 12 names make two groups of 10 and 2."""
    groups = list(group_names(names(*(f"/a:{i}" for i in range(1, 13)))))
    assert [len(group) for group in groups] == [10, 2]


def test_aws_shaped_results_map_by_selector(ssm):
    """AWS tags results with their selector; a plain name matches the untagged result."""
    client, stubber = ssm
    stubber.add_response(
        "get_parameters",
        {
            "Parameters": [
                result("/app/var", "latest", 3),
                result("/app/var", "v1", 1, ":1"),
                result("/app/var", "live", 2, ":live"),
            ],
        },
        {"Names": ["/app/var", "/app/var:1", "/app/var:live"], "WithDecryption": True},
    )
    values = get_parameters(client, names("/app/var", "/app/var:1", "/app/var:live"))
    assert {name.full: value for name, value in values.items()} == {
        "/app/var": "latest",
        "/app/var:1": "v1",
        "/app/var:live": "live",
    }


def test_untagged_labels_of_one_name_are_read_again_one_by_one(ssm):
    """Two labels of one name without Selector tags cannot be told apart: each is read alone."""
    client, stubber = ssm
    stubber.add_response(
        "get_parameters",
        {"Parameters": [result("/app/var", "x", 1), result("/app/var", "y", 2)]},
        {"Names": ["/app/var:blue", "/app/var:green"], "WithDecryption": True},
    )
    stubber.add_response(
        "get_parameter",
        {"Parameter": result("/app/var", "x", 1)},
        {"Name": "/app/var:blue", "WithDecryption": True},
    )
    stubber.add_response(
        "get_parameter",
        {"Parameter": result("/app/var", "y", 2)},
        {"Name": "/app/var:green", "WithDecryption": True},
    )
    values = get_parameters(client, names("/app/var:blue", "/app/var:green"))
    assert {name.full: value for name, value in values.items()} == {
        "/app/var:blue": "x",
        "/app/var:green": "y",
    }


def test_untagged_results_match_whatever_their_order(ssm):
    """A label's result arriving before the version's is still matched by elimination."""
    client, stubber = ssm
    stubber.add_response(
        "get_parameters",
        {"Parameters": [result("/app/var", "live", 2), result("/app/var", "v1", 1)]},
        {"Names": ["/app/var:1", "/app/var:live"], "WithDecryption": True},
    )
    values = get_parameters(client, names("/app/var:1", "/app/var:live"))
    assert {name.full: value for name, value in values.items()} == {
        "/app/var:1": "v1",
        "/app/var:live": "live",
    }
