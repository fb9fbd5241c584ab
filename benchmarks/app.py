"""Our side of the benchmark: one container for the data set, handlers wired with markers.

`BenchContainer` declares one provider per value; `GroupedContainer` (in
app_grouped.py) puts the parameters and the secrets in one group provider each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, inject

from lambda_cache_di import AwsClients, S3File, Secret, SSMParameter

from . import app_grouped

# Re-exported for the benchmarks that run both variants from this module.
from .app_grouped import GroupedContainer as GroupedContainer
from .app_grouped import grouped_handler as grouped_handler
from .dataset import MAX_AGE, PARAMETERS, S3_URI, SECRETS


class BenchContainer(containers.DeclarativeContainer):
    aws = providers.Container(AwsClients)
    p00 = SSMParameter(PARAMETERS[0], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p01 = SSMParameter(PARAMETERS[1], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p02 = SSMParameter(PARAMETERS[2], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p03 = SSMParameter(PARAMETERS[3], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p04 = SSMParameter(PARAMETERS[4], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p05 = SSMParameter(PARAMETERS[5], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p06 = SSMParameter(PARAMETERS[6], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p07 = SSMParameter(PARAMETERS[7], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p08 = SSMParameter(PARAMETERS[8], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p09 = SSMParameter(PARAMETERS[9], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p10 = SSMParameter(PARAMETERS[10], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    p11 = SSMParameter(PARAMETERS[11], max_age_in_seconds=MAX_AGE, client=aws.ssm)
    s0 = Secret(SECRETS[0], max_age_in_seconds=MAX_AGE, client=aws.secretsmanager)
    s1 = Secret(SECRETS[1], max_age_in_seconds=MAX_AGE, client=aws.secretsmanager)
    s2 = Secret(SECRETS[2], max_age_in_seconds=MAX_AGE, client=aws.secretsmanager)
    model = S3File(S3_URI, max_age_in_seconds=MAX_AGE, client=aws.s3)


@inject
def handler(
    event: Any,
    context: Any,
    p00: str = Provide[BenchContainer.p00],
    p01: str = Provide[BenchContainer.p01],
    p02: str = Provide[BenchContainer.p02],
    p03: str = Provide[BenchContainer.p03],
    p04: str = Provide[BenchContainer.p04],
    p05: str = Provide[BenchContainer.p05],
    p06: str = Provide[BenchContainer.p06],
    p07: str = Provide[BenchContainer.p07],
    p08: str = Provide[BenchContainer.p08],
    p09: str = Provide[BenchContainer.p09],
    p10: str = Provide[BenchContainer.p10],
    p11: str = Provide[BenchContainer.p11],
    s0: str = Provide[BenchContainer.s0],
    s1: str = Provide[BenchContainer.s1],
    s2: str = Provide[BenchContainer.s2],
    model: Path = Provide[BenchContainer.model],
) -> int:
    return len([p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, s0, s1, s2, model])


def new_container(grouped: bool = False) -> Any:
    """A wired container instance: a cold execution environment."""
    if grouped:
        return app_grouped.new_container()
    container = BenchContainer()
    container.wire(modules=[__name__])
    return container
