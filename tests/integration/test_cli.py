"""`python -m lambda_cache_di iam-policy | check` run as a subprocess, end to end."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di.core.iam import KMS_NOTE
from lambda_cache_di.providers.s3 import S3_NOTE
from tests.cli import run_cli

REPOSITORY = Path(__file__).resolve().parents[2]
APP_DIR = REPOSITORY / "tests" / "fixtures_app"
SECRET_VALUES = ("sekret-greeting-value", "sekret-api-key", "sekret-model-body")


def run(
    *arguments: str, env: dict[str, str] | None = None, cwd: Path = APP_DIR
) -> subprocess.CompletedProcess[str]:
    """Run the command line from the fixture app's folder, as a user would."""
    return run_cli(*arguments, env=env, cwd=cwd)


def statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


EVERYTHING_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        statement("BatchReadSecrets", ["secretsmanager:BatchGetSecretValue"], ["*"]),
        statement(
            "ReadS3Objects", ["s3:GetObject"], ["arn:aws:s3:::checkapp-models/churn/model${*}.json"]
        ),
        statement(
            "ReadSSMParameters",
            ["ssm:GetParameter", "ssm:GetParameters"],
            [
                "arn:aws:ssm:eu-west-1:111122223333:parameter/checkapp/a",
                "arn:aws:ssm:eu-west-1:111122223333:parameter/checkapp/b",
                "arn:aws:ssm:eu-west-1:111122223333:parameter/checkapp/flags",
                "arn:aws:ssm:eu-west-1:111122223333:parameter/checkapp/greeting",
                "arn:aws:ssm:eu-west-1:111122223333:parameter/toplevel",
            ],
        ),
        statement(
            "ReadSSMParametersByPath",
            ["ssm:GetParametersByPath"],
            [
                "arn:aws:ssm:eu-west-1:111122223333:parameter/checkapp/flat",
                "arn:aws:ssm:eu-west-1:111122223333:parameter/checkapp/tree",
            ],
        ),
        statement(
            "ReadSecrets",
            ["secretsmanager:GetSecretValue"],
            [
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:/checkapp/api_key-??????",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:checkapp/complete-AbCdEf",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:checkapp/complete-AbCdEf-??????",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:checkapp/db-??????",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:checkapp/partial-??????",
            ],
        ),
    ],
}


class TestIamPolicy:
    def test_policy_for_every_provider_kind(self):
        """The printed policy is exactly the expected JSON, indented, with notes on stderr."""
        result = run(
            "iam-policy",
            "checkapp.containers:Everything",
            "--region",
            "eu-west-1",
            "--account",
            "111122223333",
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == json.dumps(EVERYTHING_POLICY, indent=2) + "\n"
        assert result.stderr == KMS_NOTE + "\n" + S3_NOTE + "\n"

    def test_iso_region_gets_its_partition(self):
        """--region us-iso-east-1 writes ARNs of the aws-iso partition."""
        result = run(
            "iam-policy",
            "checkapp.containers:SecretsOnly",
            "--region",
            "us-iso-east-1",
            "--account",
            "111122223333",
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["Statement"][0]["Resource"] == [
            "arn:aws-iso:secretsmanager:us-iso-east-1:111122223333:secret:/checkapp/api_key-??????"
        ]

    @pytest.mark.parametrize(
        ("option", "value", "message"),
        [
            ("--region", "x:*", "region 'x:*' is not an AWS region name"),
            ("--region", "EU-WEST-1", "region 'EU-WEST-1' is not an AWS region name"),
            ("--region", "xx-nowhere-1", "region 'xx-nowhere-1' is in none of botocore's"),
            ("--account", "12345", "account '12345' is not an AWS account id of 12 digits"),
            ("--account", "\u0661" * 12, "is not an AWS account id of 12 digits"),
        ],
    )
    def test_malformed_region_or_account_exits_2(self, option, value, message):
        """A malformed --region or --account prints why on stderr, no policy, and exits 2."""
        result = run("iam-policy", "checkapp.containers:SecretsOnly", option, value)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith("lambda-cache-di iam-policy: ")
        assert message in result.stderr

    def test_region_and_account_default_to_any(self):
        """Without --region and --account the ARNs hold `*` for both."""
        result = run("iam-policy", "checkapp.containers:SecretsOnly")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "Version": "2012-10-17",
            "Statement": [
                statement(
                    "ReadSecrets",
                    ["secretsmanager:GetSecretValue"],
                    ["arn:aws:secretsmanager:*:*:secret:/checkapp/api_key-??????"],
                )
            ],
        }

    @pytest.mark.parametrize(
        ("target", "message"),
        [
            ("checkapp.containers", "'checkapp.containers' is not MODULE:CONTAINER"),
            ("checkapp.absent:App", "cannot import module 'checkapp.absent'"),
            (
                "checkapp.containers:Absent",
                "module 'checkapp.containers' has no attribute 'Absent'",
            ),
            (
                "checkapp.containers:not_a_container",
                "is a int, not a dependency-injector container",
            ),
            ("checkapp.broken:bad", "module 'checkapp.broken' failed to load: name"),
        ],
    )
    def test_bad_target_exits_2(self, target, message):
        """A target that is not an importable container exits 2 with a one-line reason."""
        result = run("iam-policy", target)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.startswith("lambda-cache-di iam-policy: ")
        assert message in result.stderr
        assert result.stderr.count("\n") == 1


@pytest.fixture
def seeded(aws_client: Any) -> None:
    """The present resources of `checkapp.containers:Small`, holding values that must not leak."""
    # moto's first SSM request loads its default parameters: slower than the Lambda timeouts.
    aws_client("ssm", read_timeout=60).put_parameter(
        Name="/checkapp/greeting", Value=SECRET_VALUES[0], Type="SecureString"
    )
    aws_client("secretsmanager").create_secret(
        Name="/checkapp/api_key", SecretString=SECRET_VALUES[1]
    )
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="checkapp-models")
    s3.put_object(Bucket="checkapp-models", Key="model.json", Body=SECRET_VALUES[2].encode())


class TestCheck:
    def test_reports_each_provider_and_fails_on_missing(self, seeded, moto_endpoint, tmp_path):
        """Present resources read OK, the absent one missing, the overridden one skipped: exit 1."""
        result = run(
            "check",
            "checkapp.containers:Small",
            env={"AWS_ENDPOINT_URL": moto_endpoint, "TMPDIR": str(tmp_path)},
        )
        assert result.returncode == 1, result.stderr
        assert result.stdout == (
            "PROVIDER  RESOURCE                         RESULT\n"
            "greeting  /checkapp/greeting               OK\n"
            "missing   /checkapp/missing                missing: /checkapp/missing\n"
            "api_key   /checkapp/api_key                OK\n"
            "model     s3://checkapp-models/model.json  OK\n"
            "replaced  /checkapp/replaced               skipped (overridden)\n"
            "5 providers, 1 failed\n"
        )

    def test_never_prints_a_value(self, seeded, moto_endpoint, tmp_path):
        """Neither output stream holds any fetched value."""
        result = run(
            "check",
            "checkapp.containers:small",
            env={"AWS_ENDPOINT_URL": moto_endpoint, "TMPDIR": str(tmp_path)},
        )
        assert result.returncode == 1
        for value in SECRET_VALUES:
            assert value not in result.stdout
            assert value not in result.stderr

    def test_all_present_exits_0(self, seeded, moto_endpoint, tmp_path):
        """When every provider resolves, check exits 0."""
        result = run(
            "check",
            "checkapp.containers:Present",
            env={"AWS_ENDPOINT_URL": moto_endpoint, "TMPDIR": str(tmp_path)},
        )
        assert (result.returncode, result.stdout) == (
            0,
            "PROVIDER  RESOURCE            RESULT\n"
            "greeting  /checkapp/greeting  OK\n"
            "1 providers, 0 failed\n",
        )


class TestReadme:
    """The command-line output shown in docs/cli.md is the real output."""

    SECTION = (REPOSITORY / "docs" / "cli.md").read_text()

    def block(self, language: str) -> str:
        match = re.search(rf"```{language}\n(.*?)```", self.SECTION, flags=re.DOTALL)
        assert match is not None
        return match.group(1)

    def test_iam_policy_output(self):
        """The JSON shown is what iam-policy prints for the demo's AppContainer."""
        result = run(
            "iam-policy",
            "lambda_cache_di.tools.demo_app.app:AppContainer",
            "--region",
            "eu-west-1",
            "--account",
            "111122223333",
            cwd=REPOSITORY,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == self.block("json")

    def test_check_output(self, aws_client, moto_endpoint, tmp_path):
        """The table shown is what check prints when the model file is missing."""
        aws_client("ssm", read_timeout=60).put_parameter(
            Name="/prod/orders/table", Value="orders-prod", Type="String"
        )
        aws_client("secretsmanager").create_secret(
            Name="/prod/db/conn_string", SecretString="postgres://db.internal/orders"
        )
        aws_client("s3").create_bucket(Bucket="models")
        result = run(
            "check",
            "lambda_cache_di.tools.demo_app.app:AppContainer",
            cwd=REPOSITORY,
            env={"AWS_ENDPOINT_URL": moto_endpoint, "TMPDIR": str(tmp_path)},
        )
        assert (result.returncode, result.stdout) == (1, self.block("text"))
