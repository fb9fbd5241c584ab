"""What a cached provider needs from IAM: grants of actions on ARNs, built without AWS.

Standard library only. `tools/iam.py` checks the region and account, finds the
partition, and hands an `Arns` to each provider's `iam_grants()`; the providers
say what they call, on which resources.
"""

from __future__ import annotations

from typing import NamedTuple

from .names import SecretId, has_arn_suffix

# AWS appends "-" and six characters to a secret's name in its ARN.
SECRET_SUFFIX_WILDCARD = "-??????"

KMS_NOTE = (
    "note: kms:Decrypt is not included. SecureString parameters and secrets encrypted "
    "with a customer managed KMS key also need kms:Decrypt on that key."
)


class IamGrant(NamedTuple):
    """Actions allowed on resources, under a statement id; grants with one `sid` are merged."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


class Arns(NamedTuple):
    """ARNs in one partition, region and account (each may be `*` or a template reference)."""

    partition: str
    region: str
    account: str

    def of(self, service: str, resource: str, *, regional: bool = True) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` (no region/account if not)."""
        if not regional:
            return f"arn:{self.partition}:{service}:::{resource}"
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def parameter(self, name: str) -> str:
        """An SSM parameter's ARN: it holds the name without its leading '/'."""
        return self.of("ssm", "parameter/" + name.lstrip("/"))

    def path(self, path: str) -> str:
        """What GetParametersByPath is authorized against: the path without its trailing '/'."""
        return self.parameter(path if path == "/" else path.rstrip("/"))

    def secrets(self, secret: SecretId) -> tuple[str, ...]:
        """The ARNs to grant for a secret id: AWS adds "-" and six characters to names."""
        if not secret.is_arn:
            return (self.of("secretsmanager", "secret:" + secret.name + SECRET_SUFFIX_WILDCARD),)
        if not has_arn_suffix(secret.id):
            return (secret.id + SECRET_SUFFIX_WILDCARD,)
        # Complete, or a partial ARN whose name only looks complete: grant both readings.
        return (secret.id, secret.id + SECRET_SUFFIX_WILDCARD)

    def s3_object(self, bucket: str, key: str) -> str:
        """An S3 object's ARN, with `*`, `?` and `$` of the key made literal."""
        return self.of("s3", f"{bucket}/{_escape(key)}", regional=False)


def _escape(text: str) -> str:
    """Make `*`, `?` and `$` in an S3 key literal, as IAM's `${...}` escapes do."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")
