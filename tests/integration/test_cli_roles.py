"""`iam-policy --assume-role`: the three policies of a cross-account read, as a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lambda_cache_di.core.iam import KMS_NOTE
from lambda_cache_di.tools.roles import CROSS_ACCOUNT_NOTES
from tests.cli import run_cli

APP_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures_app"
TARGET = "arn:aws:iam::210987654321:role/reader"
FUNCTION = "arn:aws:iam::123456789012:role/orders-fn"


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return run_cli("iam-policy", "checkapp.containers:SecretsOnly", *arguments, cwd=APP_DIR)


def test_prints_the_three_policies_and_the_notes():
    """The function role may assume the target; the target trusts it; the target may read."""
    result = run(
        "--assume-role",
        TARGET,
        "--function-role",
        FUNCTION,
        "--external-id",
        "ext-1234",
        "--region",
        "eu-west-1",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "FunctionRolePolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AssumeTargetRole",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole"],
                    "Resource": [TARGET],
                }
            ],
        },
        "TargetRoleTrustPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TrustFunctionRole",
                    "Effect": "Allow",
                    "Principal": {"AWS": FUNCTION},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "ext-1234"}},
                }
            ],
        },
        "TargetRolePermissionPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadSecrets",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    # The role's account, since --account was not given.
                    "Resource": [
                        "arn:aws:secretsmanager:eu-west-1:210987654321:"
                        "secret:/checkapp/api_key-??????"
                    ],
                }
            ],
        },
    }
    assert result.stderr.splitlines() == [KMS_NOTE, *CROSS_ACCOUNT_NOTES]


def test_without_external_id_the_trust_has_no_condition():
    """No --external-id: the trust statement has no Condition; --account overrides the ARNs'."""
    result = run("--assume-role", TARGET, "--function-role", FUNCTION, "--account", "111122223333")
    documents = json.loads(result.stdout)
    assert "Condition" not in documents["TargetRoleTrustPolicy"]["Statement"][0]
    resource = documents["TargetRolePermissionPolicy"]["Statement"][0]["Resource"][0]
    assert resource.split(":")[4] == "111122223333"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--assume-role", TARGET), "--assume-role needs --function-role"),
        (("--assume-role", "reader", "--function-role", FUNCTION), "role_arn must be an IAM role"),
        (("--assume-role", TARGET, "--function-role", "fn"), "role_arn must be an IAM role"),
    ],
)
def test_missing_or_malformed_roles_exit_2(arguments, message):
    """A missing --function-role or a malformed ARN: the reason on stderr, nothing out, exit 2."""
    result = run(*arguments)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
