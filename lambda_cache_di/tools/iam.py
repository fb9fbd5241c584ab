"""A least-privilege IAM policy for the cached providers of a container.

Each cached provider says what it calls, on which resources, through its
`iam_grants()` (see `CachedProvider`); grants under one statement id are merged.
Today's providers grant:

- `SSMParameter`, `SSMParameters`: `ssm:GetParameter` and `ssm:GetParameters`
  on each parameter, selector removed (`prefetch` groups single parameters
  into GetParameters calls).
- `SSMParametersByPath`: `ssm:GetParametersByPath` on the path itself, with
  or without `recursive`. AWS authorizes that action against the path in the
  request, not against the parameters it returns, so `path/*` would only grant
  more paths than the provider ever asks for.
- `Secret`, `Secrets`: `secretsmanager:GetSecretValue` on each secret. A name
  or a partial ARN gets the `-??????` AWS appends to the name in the ARN; a
  complete ARN is used as is.
- `Secrets`, and two or more `Secret`s at the default stage (which `prefetch`
  may read together): `secretsmanager:BatchGetSecretValue` on `*`, the only
  resource that action takes; AWS still checks GetSecretValue on every secret
  of the batch. A single `Secret` never gets it.
- `S3File`: `s3:GetObject` on the object.

`kms:Decrypt` is never added, since the keys are unknown here: `notes` says
so, for the command to print on stderr.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..core.iam import Arns, IamGrant
from ..errors import ConfigurationError
from ..fetchers.clients import region_partition
from ..providers.base import CachedProvider
from ..providers.discovery import cached_providers

POLICY_VERSION = "2012-10-17"


ANY = "*"
# A CloudFormation reference such as ${AWS::Region}, for a policy pasted into a template.
_REFERENCE = re.compile(r"\$\{[A-Za-z0-9:._]+\}", re.ASCII)
PARTITION_REFERENCE = "${AWS::Partition}"
# ASCII only: botocore's partition patterns use `\w` and `\d`, which match other scripts too.
_REGION = re.compile(r"[a-z]{2,}(-[a-z0-9]+)+", re.ASCII)
_ACCOUNT = re.compile(r"[0-9]{12}", re.ASCII)


def partition_of(region: str) -> str:
    """The ARN partition of a region (`aws`, `aws-cn`, `aws-iso`...), from botocore's own data.

    `*` (any region) is taken to be in `aws`; a CloudFormation reference
    (`${AWS::Region}`) gets `${AWS::Partition}`; a region that no partition of
    botocore's data lists or matches raises ConfigurationError naming `region`.
    """
    check_region(region)
    if region == ANY:
        return "aws"
    if _REFERENCE.fullmatch(region):
        return PARTITION_REFERENCE
    partition = region_partition(region)
    if partition is None:
        raise ConfigurationError(f"region {region!r} is in none of botocore's AWS partitions")
    return partition


def check_region(region: object) -> str:
    """`*`, a region name such as `eu-west-1` (lowercase ASCII), or `${AWS::Region}`."""
    if region == ANY or (isinstance(region, str) and _REFERENCE.fullmatch(region)):
        return region
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ConfigurationError(
            f"region {region!r} is not an AWS region name such as 'eu-west-1' (or '*' for any)"
        )
    return region


def check_account(account: object) -> str:
    """`*`, an account id of twelve ASCII digits, or `${AWS::AccountId}`."""
    if account == ANY or (isinstance(account, str) and _REFERENCE.fullmatch(account)):
        return account
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise ConfigurationError(
            f"account {account!r} is not an AWS account id of 12 digits (or '*' for any)"
        )
    return account


@dataclass(frozen=True)
class Policy:
    """An IAM policy document and the notes about what it leaves out."""

    document: dict[str, Any]
    notes: tuple[str, ...]

    def to_json(self) -> str:
        """The policy document as indented JSON, ending in a newline."""
        return json.dumps(self.document, indent=2) + "\n"


def policy_for(container: Any, *, region: str = "*", account: str = "*") -> Policy:
    """The policy that lets a function resolve every cached provider of `container`.

    `container` may be a DeclarativeContainer class or a container instance;
    cached providers at any depth count (nested containers, selectors, the
    arguments of other providers). Overridden providers count: the deployed
    function does not override them. Provider arguments (`config.param_name`)
    are resolved from this environment; one that cannot be raises
    ConfigurationError, and so does a malformed `region` or `account`.
    """
    arns = Arns(partition_of(region), region, check_account(account))
    grants: list[IamGrant] = []
    notes: list[str] = []
    unknown: list[str] = []
    batchable: dict[type[CachedProvider[Any]], int] = {}
    for name, provider in cached_providers(container):
        provider.resolve()
        found = provider.iam_grants(arns)
        if not found:
            unknown.append(
                f"note: {name} ({type(provider).__name__}) is not covered: add its grants"
            )
        grants += found
        notes += provider.iam_notes
        if provider.batch_key() is not None:
            batchable[type(provider)] = batchable.get(type(provider), 0) + 1
    for kind, count in batchable.items():
        batch_grant = kind.batch_grant(arns) if count > 1 else None
        if batch_grant is not None:
            grants.append(batch_grant)
    return Policy(_document(grants), (*sorted(set(notes)), *unknown))


def _document(grants: list[IamGrant]) -> dict[str, Any]:
    """One statement per statement id, in a fixed order (by id), resources sorted."""
    merged: dict[str, tuple[dict[str, None], set[str]]] = {}
    for grant in grants:
        actions, resources = merged.setdefault(grant.sid, ({}, set()))
        actions.update(dict.fromkeys(grant.actions))
        resources.update(grant.resources)
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": list(actions),
                "Resource": sorted(resources),
            }
            for sid, (actions, resources) in sorted(merged.items())
        ],
    }
