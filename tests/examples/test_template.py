"""examples/template.yaml: every handler exists and holds the policy `iam-policy` prints."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lambda_cache_di.tools.iam import policy_for
from lambda_cache_di.tools.target import load_container

TEMPLATE = Path(__file__).resolve().parents[2] / "examples" / "template.yaml"
REGION, ACCOUNT = "${AWS::Region}", "${AWS::AccountId}"


class CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that reads short-form intrinsic functions (`!Sub "..."`) as their text."""


CloudFormationLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_scalar(node)
)


def functions() -> dict[str, dict[str, Any]]:
    template = yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def commented_targets() -> dict[str, str]:
    """Function name -> the MODULE:CONTAINER of the `iam-policy` comment above its policy."""
    targets: dict[str, str] = {}
    current = ""
    for line in TEMPLATE.read_text().splitlines():
        if match := re.fullmatch(r"  (\w+):", line):
            current = match[1]
        elif match := re.search(r"# lambda-cache-di iam-policy (\S+)", line):
            targets[current] = match[1]
    return targets


FUNCTIONS = functions()


def test_template_deploys_the_main_handlers():
    """The template holds the orders handler and one per kind of provider."""
    assert sorted(FUNCTIONS) == [
        "ModelFunction",
        "OrdersFunction",
        "ParameterGroupFunction",
        "ParametersByPathFunction",
        "SecretGroupFunction",
    ]
    assert sorted(commented_targets()) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_handler_and_policy(name):
    """The handler is a function of an importable module, and its policy is `iam-policy`'s."""
    properties = FUNCTIONS[name]
    module_name, _, function_name = properties["Handler"].rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, function_name))
    policies = properties["Policies"]
    assert len(policies) == 1
    target = load_container(commented_targets()[name])
    expected = policy_for(target, region=REGION, account=ACCOUNT).document
    assert policies[0] == expected
    assert policy_for(module.container, region=REGION, account=ACCOUNT).document == expected
