"""The grouped cold-start variant as a handler module of its own, as a user would write it.

One `SSMParameters` for the parameters, one `Secrets` for the secrets, one
`S3File`, and the handler wired to them. The cold-start child imports only
this module, so the variant pays for nothing it does not declare.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, inject

from lambda_cache_di import AwsClients, S3File, Secrets, SSMParameters

from .dataset import MAX_AGE, PARAMETERS, S3_URI, SECRETS


class GroupedContainer(containers.DeclarativeContainer):
    aws = providers.Container(AwsClients)
    parameters = SSMParameters(PARAMETERS, max_age_in_seconds=MAX_AGE, client=aws.ssm)
    secrets = Secrets(SECRETS, max_age_in_seconds=MAX_AGE, client=aws.secretsmanager)
    model = S3File(S3_URI, max_age_in_seconds=MAX_AGE, client=aws.s3)


@inject
def grouped_handler(
    event: Any,
    context: Any,
    parameters: dict[str, str] = Provide[GroupedContainer.parameters],
    secrets: dict[str, str] = Provide[GroupedContainer.secrets],
    model: Path = Provide[GroupedContainer.model],
) -> int:
    return len(parameters) + len(secrets) + 1


def new_container() -> GroupedContainer:
    """A wired container instance: a cold execution environment."""
    container = GroupedContainer()
    container.wire(modules=[__name__])
    return container
