"""The three policies a function needs to read through an assumed role (`iam-policy --assume-role`).

- on the function's own role: `sts:AssumeRole` on the target role;
- the target role's trust policy: the function's role may assume it (with
  `sts:ExternalId` when one is given);
- on the target role: what the container's providers call (`iam.policy_for`),
  in the target role's account unless told otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..fetchers.roles import check_external_id, check_role_arn
from .iam import POLICY_VERSION, policy_for

CROSS_ACCOUNT_NOTES = (
    "note: the target role reads what its own account holds. A secret of a third account "
    "also needs a resource policy on that secret naming the target role, and a customer "
    "managed KMS key whose key policy lets the target role kms:Decrypt (the aws/secretsmanager "
    "key cannot be used from another account).",
    "note: give AssumedRoleClients the same role_arn (and external_id) as here.",
)


@dataclass(frozen=True)
class RolePolicies:
    """The function role's policy, the target role's trust and permission policies, and notes."""

    documents: dict[str, Any]
    notes: tuple[str, ...]

    def to_json(self) -> str:
        """The three documents as one indented JSON object, ending in a newline."""
        return json.dumps(self.documents, indent=2) + "\n"


def role_policies(
    container: Any,
    *,
    role_arn: str,
    function_role: str,
    external_id: str | None = None,
    region: str = "*",
    account: str | None = None,
) -> RolePolicies:
    """What lets `function_role` assume `role_arn` and resolve `container`'s providers as it.

    ConfigurationError for a malformed role ARN, external id, region or account.
    """
    target = check_role_arn(role_arn)
    source = check_role_arn(function_role)
    trust: dict[str, Any] = {
        "Sid": "TrustFunctionRole",
        "Effect": "Allow",
        "Principal": {"AWS": source},
        "Action": "sts:AssumeRole",
    }
    if check_external_id(external_id) is not None:
        trust["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    permissions = policy_for(container, region=region, account=account or target.split(":")[4])
    documents = {
        "FunctionRolePolicy": _policy(
            {
                "Sid": "AssumeTargetRole",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": [target],
            }
        ),
        "TargetRoleTrustPolicy": _policy(trust),
        "TargetRolePermissionPolicy": permissions.document,
    }
    return RolePolicies(documents, (*permissions.notes, *CROSS_ACCOUNT_NOTES))


def _policy(statement: dict[str, Any]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": [statement]}
