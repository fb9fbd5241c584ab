"""The IAM policy derived from a container's cached providers."""

from __future__ import annotations

import pytest
from dependency_injector import containers, providers

from lambda_cache_di import (
    AwsClients,
    ConfigurationError,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
)
from lambda_cache_di.core.iam import KMS_NOTE
from lambda_cache_di.providers.s3 import S3_NOTE
from lambda_cache_di.tools.iam import partition_of, policy_for


def statements(container: object, **scope: str) -> dict[str, tuple[list[str], list[str]]]:
    """Sid -> (actions, resources) of the policy for `container`."""
    document = policy_for(container, **scope).document
    assert document["Version"] == "2012-10-17"
    return {s["Sid"]: (s["Action"], s["Resource"]) for s in document["Statement"]}


class TestSSM:
    def test_parameter_arns_drop_selector_and_leading_slash(self):
        """A selector is stripped and the name follows `parameter/` without its leading slash."""

        class App(containers.DeclarativeContainer):
            versioned = SSMParameter("/app/var:3")
            labelled = SSMParameter("/app/other:prod")
            flat = SSMParameter("flat_name")

        assert statements(App, region="eu-west-1", account="111122223333") == {
            "ReadSSMParameters": (
                ["ssm:GetParameter", "ssm:GetParameters"],
                [
                    "arn:aws:ssm:eu-west-1:111122223333:parameter/app/other",
                    "arn:aws:ssm:eu-west-1:111122223333:parameter/app/var",
                    "arn:aws:ssm:eu-west-1:111122223333:parameter/flat_name",
                ],
            )
        }

    def test_group_members_are_listed_once(self):
        """SSMParameters members and single parameters share one deduplicated statement."""

        class App(containers.DeclarativeContainer):
            one = SSMParameter("/app/a")
            group = SSMParameters(["/app/a", "/app/b:2"])

        assert statements(App)["ReadSSMParameters"][1] == [
            "arn:aws:ssm:*:*:parameter/app/a",
            "arn:aws:ssm:*:*:parameter/app/b",
        ]

    def test_path_is_granted_on_the_path_itself(self):
        """GetParametersByPath is granted on the path itself, recursive or not, never `path/*`."""

        class App(containers.DeclarativeContainer):
            deep = SSMParametersByPath("/app/config/", recursive=True)
            shallow = SSMParametersByPath("/app/flat", recursive=False)
            root = SSMParametersByPath("/")

        assert statements(App) == {
            "ReadSSMParametersByPath": (
                ["ssm:GetParametersByPath"],
                [
                    "arn:aws:ssm:*:*:parameter/",
                    "arn:aws:ssm:*:*:parameter/app/config",
                    "arn:aws:ssm:*:*:parameter/app/flat",
                ],
            )
        }


class TestSecrets:
    def test_names_and_partial_arns_get_the_suffix_wildcard(self):
        """A name or partial ARN gets `-??????`; a complete-looking ARN is granted as is and,
        in case it is a partial ARN of a name ending like a suffix, with `-??????` too."""

        class App(containers.DeclarativeContainer):
            by_name = Secret("prod/db", version_stage="AWSPREVIOUS")
            partial = Secret(
                "arn:aws:secretsmanager:us-east-2:111122223333:secret:prod/partial",
                version_stage="AWSPENDING",
            )
            complete = Secret(
                "arn:aws:secretsmanager:us-east-2:111122223333:secret:prod/full-a1B2c3",
                version_stage="AWSPREVIOUS",
            )

        assert statements(App, region="eu-west-1", account="444455556666") == {
            "ReadSecrets": (
                ["secretsmanager:GetSecretValue"],
                [
                    "arn:aws:secretsmanager:eu-west-1:444455556666:secret:prod/db-??????",
                    "arn:aws:secretsmanager:us-east-2:111122223333:secret:prod/full-a1B2c3",
                    "arn:aws:secretsmanager:us-east-2:111122223333:secret:prod/full-a1B2c3-??????",
                    "arn:aws:secretsmanager:us-east-2:111122223333:secret:prod/partial-??????",
                ],
            )
        }

    def test_groups_add_batch_get_on_star(self):
        """A Secrets group adds BatchGetSecretValue on `*` and GetSecretValue on each member."""

        class App(containers.DeclarativeContainer):
            group = Secrets(["/a/one", "/a/two"])

        assert statements(App) == {
            "ReadSecrets": (
                ["secretsmanager:GetSecretValue"],
                [
                    "arn:aws:secretsmanager:*:*:secret:/a/one-??????",
                    "arn:aws:secretsmanager:*:*:secret:/a/two-??????",
                ],
            ),
            "BatchReadSecrets": (["secretsmanager:BatchGetSecretValue"], ["*"]),
        }

    def test_single_secret_gets_no_batch_action(self):
        """A lone Secret is read with GetSecretValue only, so no `*` appears in its policy."""

        class App(containers.DeclarativeContainer):
            current = Secret("/a/one")

        assert statements(App) == {
            "ReadSecrets": (
                ["secretsmanager:GetSecretValue"],
                ["arn:aws:secretsmanager:*:*:secret:/a/one-??????"],
            )
        }

    def test_two_secrets_at_the_current_stage_may_be_batched(self):
        """Two Secrets at the default stage add BatchGetSecretValue, as prefetch may batch them."""

        class App(containers.DeclarativeContainer):
            one = Secret("/a/one")
            two = Secret("/a/two")

        assert statements(App)["BatchReadSecrets"] == (
            ["secretsmanager:BatchGetSecretValue"],
            ["*"],
        )


class TestS3:
    def test_object_arn_escapes_wildcards(self):
        """The object ARN holds bucket and key, with `*`, `?` and `$` made literal."""

        class App(containers.DeclarativeContainer):
            model = S3File("s3://models/churn/model.json")
            odd = S3File("s3://models/a*b?c$d.bin")

        assert statements(App, region="eu-west-1", account="111122223333") == {
            "ReadS3Objects": (
                ["s3:GetObject"],
                [
                    "arn:aws:s3:::models/a${*}b${?}c${$}d.bin",
                    "arn:aws:s3:::models/churn/model.json",
                ],
            )
        }


class TestContainer:
    def test_nested_containers_and_overridden_providers_count(self):
        """Providers of nested containers, and overridden ones, are granted too."""

        class Inner(containers.DeclarativeContainer):
            aws = providers.Container(AwsClients)
            value = SSMParameter("/inner/value", client=aws.ssm)

        class Outer(containers.DeclarativeContainer):
            inner = providers.Container(Inner)
            mine = SSMParameter("/outer/value")

        instance = Outer()
        instance.mine.override(providers.Object("fake"))
        expected = [
            "arn:aws:ssm:*:*:parameter/inner/value",
            "arn:aws:ssm:*:*:parameter/outer/value",
        ]
        assert statements(instance)["ReadSSMParameters"][1] == expected
        assert statements(Outer)["ReadSSMParameters"][1] == expected

    def test_statement_order_is_fixed(self):
        """Statements come in a fixed order (by statement id) whatever the declaration order."""

        class App(containers.DeclarativeContainer):
            model = S3File("s3://models/m.json")
            group = Secrets(["/s/a"])
            tree = SSMParametersByPath("/p")
            one = SSMParameter("/p/one")

        sids = [s["Sid"] for s in policy_for(App).document["Statement"]]
        assert sids == [
            "BatchReadSecrets",
            "ReadS3Objects",
            "ReadSSMParameters",
            "ReadSSMParametersByPath",
            "ReadSecrets",
        ]

    def test_notes_mention_kms_and_list_bucket(self):
        """The notes say kms:Decrypt (and s3:ListBucket for files) are left out."""

        class Params(containers.DeclarativeContainer):
            one = SSMParameter("/p/one")

        class Files(containers.DeclarativeContainer):
            model = S3File("s3://models/m.json")

        assert policy_for(Params).notes == (KMS_NOTE,)
        assert policy_for(Files).notes == (S3_NOTE,)

    @pytest.mark.parametrize(
        ("region", "partition"),
        [
            ("*", "aws"),
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
        ],
    )
    def test_partition_follows_region(self, region, partition):
        """The ARN partition comes from botocore's partition data: China, GovCloud, ISO..."""
        assert partition_of(region) == partition

    def test_iso_region_arns(self):
        """--region us-iso-east-1 writes `arn:aws-iso:` ARNs."""

        class App(containers.DeclarativeContainer):
            secret = Secret("/app/db")

        assert statements(App, region="us-iso-east-1", account="111122223333") == {
            "ReadSecrets": (
                ["secretsmanager:GetSecretValue"],
                ["arn:aws-iso:secretsmanager:us-iso-east-1:111122223333:secret:/app/db-??????"],
            ),
        }

    def test_cloudformation_references(self):
        """`${AWS::Region}` and `${AWS::AccountId}` pass; the partition is `${AWS::Partition}`."""

        class App(containers.DeclarativeContainer):
            one = SSMParameter("/p/one")

        assert statements(App, region="${AWS::Region}", account="${AWS::AccountId}") == {
            "ReadSSMParameters": (
                ["ssm:GetParameter", "ssm:GetParameters"],
                ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/p/one"],
            )
        }

    @pytest.mark.parametrize(
        "region", ["x:*", "", "EU-WEST-1", "eu-*", "eu-west-?", "eu-west-\u0661", "xx-nowhere-1"]
    )
    def test_malformed_region_is_refused(self, region):
        """A region with a colon, wildcard, capitals, non-ASCII digit or no partition is refused."""

        class App(containers.DeclarativeContainer):
            one = SSMParameter("/p/one")

        with pytest.raises(ConfigurationError) as caught:
            policy_for(App, region=region)
        assert str(caught.value).startswith(f"region {region!r} ")

    @pytest.mark.parametrize(
        "account", ["", "12345678901", "1234567890123", "12345678901*", "\u0661" * 12, "x" * 12]
    )
    def test_malformed_account_is_refused(self, account):
        """An account that is not twelve ASCII digits (or `*`) is refused, naming `account`."""

        class App(containers.DeclarativeContainer):
            one = SSMParameter("/p/one")

        with pytest.raises(ConfigurationError) as caught:
            policy_for(App, region="eu-west-1", account=account)
        assert str(caught.value).startswith(f"account {account!r} ")


def test_explicit_awscurrent_secret_is_batchable_like_prefetch():
    """A Secret at version_stage="AWSCURRENT" gets BatchGetSecretValue, as prefetch batches it."""

    class App(containers.DeclarativeContainer):
        current = Secret("/app/db", version_stage="AWSCURRENT")
        other = Secret("/app/other")

    assert App.current.batchable is True
    assert "secretsmanager:BatchGetSecretValue" in [
        action for actions, _ in statements(App).values() for action in actions
    ]
