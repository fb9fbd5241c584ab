"""A least-privilege IAM policy for the cached providers of a container.

Each statement grants only the actions the providers call, on the resources
they name:

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
- `Secrets`, and `Secret` at the default stage (which `prefetch` batches):
  `secretsmanager:BatchGetSecretValue` on `*`, the only resource that action
  takes; AWS still checks GetSecretValue on every secret of the batch.
- `S3File`: `s3:GetObject` on the object.

`kms:Decrypt` is never added, since the keys are unknown here: `notes` says
so, for the command to print on stderr.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.names import SecretId, has_arn_suffix
from ..errors import ConfigurationError
from ..fetchers.clients import region_partition
from ..providers.discovery import cached_providers
from ..providers.s3 import S3File
from ..providers.secrets import Secret, Secrets
from ..providers.ssm import SSMParameter, SSMParameters, SSMParametersByPath

POLICY_VERSION = "2012-10-17"
# AWS appends "-" and six characters to a secret's name in its ARN.
SECRET_SUFFIX_WILDCARD = "-??????"

KMS_NOTE = (
    "note: kms:Decrypt is not included. SecureString parameters and secrets encrypted "
    "with a customer managed KMS key also need kms:Decrypt on that key."
)
S3_NOTE = (
    "note: s3:ListBucket is not included, so a missing object reads as AccessDenied, "
    "not NoSuchKey; objects encrypted with a customer managed KMS key also need kms:Decrypt."
)


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


@dataclass
class _Resources:
    parameters: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    batch_secrets: bool = False
    objects: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Policy:
    """An IAM policy document and the notes about what it leaves out."""

    document: dict[str, Any]
    notes: tuple[str, ...]

    def to_json(self) -> str:
        """The policy document as indented JSON, ending in a newline."""
        return json.dumps(self.document, indent=2) + "\n"


class _Arns:
    def __init__(self, region: str, account: str) -> None:
        self.partition = partition_of(region)
        self.region = region
        self.account = check_account(account)

    def parameter(self, name: str) -> str:
        # A parameter's ARN holds its name without the leading '/'.
        prefix = f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter/"
        return prefix + name.lstrip("/")

    def path(self, path: str) -> str:
        # GetParametersByPath is sent the path without its trailing '/'.
        return self.parameter(path if path == "/" else path.rstrip("/"))

    def secrets(self, secret: SecretId) -> tuple[str, ...]:
        """The ARNs to grant for a secret id: AWS adds "-" and six characters to names."""
        if not secret.is_arn:
            prefix = f"arn:{self.partition}:secretsmanager:{self.region}:{self.account}:secret:"
            return (prefix + secret.name + SECRET_SUFFIX_WILDCARD,)
        if not has_arn_suffix(secret.id):
            return (secret.id + SECRET_SUFFIX_WILDCARD,)
        # Complete, or a partial ARN whose name only looks complete: grant both readings.
        return (secret.id, secret.id + SECRET_SUFFIX_WILDCARD)

    def s3_object(self, bucket: str, key: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}/{_escape(key)}"


def _escape(text: str) -> str:
    """Make `*`, `?` and `$` in an S3 key literal, as IAM's `${...}` escapes do."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


def policy_for(container: Any, *, region: str = "*", account: str = "*") -> Policy:
    """The policy that lets a function resolve every cached provider of `container`.

    `container` may be a DeclarativeContainer class or a container instance;
    cached providers at any depth count (nested containers, selectors, the
    arguments of other providers). Overridden providers count: the deployed
    function does not override them. Provider arguments (`config.param_name`)
    are resolved from this environment; one that cannot be raises
    ConfigurationError, and so does a malformed `region` or `account`.
    """
    arns = _Arns(region, account)
    found = _Resources()
    unknown: list[str] = []
    for name, provider in cached_providers(container):
        provider.resolve()
        if not _collect(provider, arns, found):
            unknown.append(
                f"note: {name} ({type(provider).__name__}) is not covered: add its grants"
            )
    return Policy(_document(found), (*_notes(found), *unknown))


def _collect(provider: Any, arns: _Arns, found: _Resources) -> bool:
    if isinstance(provider, SSMParameter):
        found.parameters.add(arns.parameter(provider.name.name))
    elif isinstance(provider, SSMParameters):
        found.parameters.update(arns.parameter(name.name) for name in provider.names.values())
    elif isinstance(provider, SSMParametersByPath):
        found.paths.add(arns.path(provider.path))
    elif isinstance(provider, Secret):
        found.secrets.update(arns.secrets(provider.secret_id))
        if provider.batchable:
            found.batch_secrets = True
    elif isinstance(provider, Secrets):
        found.secrets.update(
            arn for secret in provider.ids.values() for arn in arns.secrets(secret)
        )
        found.batch_secrets = True
    elif isinstance(provider, S3File):
        found.objects.add(arns.s3_object(provider.location.bucket, provider.location.key))
    else:
        return False
    return True


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def _document(found: _Resources) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    if found.parameters:
        statements.append(
            _statement(
                "ReadSSMParameters",
                ["ssm:GetParameter", "ssm:GetParameters"],
                sorted(found.parameters),
            )
        )
    if found.paths:
        statements.append(
            _statement("ReadSSMParametersByPath", ["ssm:GetParametersByPath"], sorted(found.paths))
        )
    if found.secrets:
        statements.append(
            _statement("ReadSecrets", ["secretsmanager:GetSecretValue"], sorted(found.secrets))
        )
    if found.batch_secrets:
        statements.append(
            _statement("BatchReadSecrets", ["secretsmanager:BatchGetSecretValue"], ["*"])
        )
    if found.objects:
        statements.append(_statement("ReadS3Objects", ["s3:GetObject"], sorted(found.objects)))
    return {"Version": POLICY_VERSION, "Statement": statements}


def _notes(found: _Resources) -> tuple[str, ...]:
    notes = []
    if found.parameters or found.paths or found.secrets:
        notes.append(KMS_NOTE)
    if found.objects:
        notes.append(S3_NOTE)
    return tuple(notes)
