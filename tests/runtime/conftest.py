"""Handlers under the real runtime client: one moto world for the folder, runtimes per module."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_cache_di.testing import MotoServer
from lambda_cache_di.testing.runtime import LambdaRuntime, run_handler

REPOSITORY = Path(__file__).resolve().parents[2]

# A user's project, run by test_plugin_fixture.py in a pytest of its own.
collect_ignore = ["user_project"]

# Distinct markers, so a memory search finds these values and nothing else.
TABLE = "orders-table-7c41d9e0b3"
API_URL = "https://api.example.test"
DB_CONN = "postgres://app:Snap-5f1c9e2a7d@db.internal:5432/orders"
MODEL = {"version": "v7", "weights": {"apple": 1.5, "pear": 2.0}}
# What examples/prefetch_app.py answers in this world.
PREFETCH_RESPONSE = {
    "table": TABLE,
    "api": API_URL,
    "user": "app",
    "model": '{"version": "v7", "weights": {"apple": 1.5, "pear": 2.0}}',
}

StartRuntime = Callable[..., LambdaRuntime]


@pytest.fixture(scope="package")
def world(moto_server: MotoServer) -> MotoServer:
    """The moto server, emptied, holding what the example handlers read.

    Seeded once for this folder: moto's first SSM call of a world takes seconds.
    """
    moto_server.reset()
    options: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": moto_server.endpoint}
    ssm = boto3.client("ssm", **options)
    ssm.put_parameter(Name="/prod/orders/table", Value=TABLE, Type="String")
    ssm.put_parameter(Name="/prod/orders/api_url", Value=API_URL, Type="String")
    secrets = boto3.client("secretsmanager", **options)
    secrets.create_secret(Name="/prod/db/conn_string", SecretString=DB_CONN)
    secrets.create_secret(Name="prod/db/credentials", SecretString=json.dumps({"user": "app"}))
    s3 = boto3.client("s3", **options)
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="churn/model.json", Body=json.dumps(MODEL).encode())
    moto_server.reset_counts()
    return moto_server


@pytest.fixture(scope="module")
def start_runtime(
    world: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartRuntime]:
    """Start a handler under awslambdaric against `world`, each in a fresh TMPDIR; all stopped
    when the module's tests are done."""
    with contextlib.ExitStack() as stack:

        def start(handler: str, **options: Any) -> LambdaRuntime:
            return stack.enter_context(
                run_handler(
                    handler,
                    cwd=REPOSITORY,
                    tmpdir=tmp_path_factory.mktemp("runtime"),
                    endpoint_url=world.endpoint,
                    **options,
                )
            )

        yield start
