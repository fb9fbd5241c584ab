"""The floor: the same cold start hand-written with boto3 alone, nothing in between.

One session, three clients, and the four calls (two GetParameters of at most
ten names, one BatchGetSecretValue, one GetObject) in parallel threads at
init, as a Lambda handler module would do at module scope. Importing this
module is the init phase.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import boto3

from .dataset import BUCKET, KEY, PARAMETERS, SECRETS

session = boto3.session.Session()
ssm = session.client("ssm")
secretsmanager = session.client("secretsmanager")
s3 = session.client("s3")
values: dict[str, str] = {}
MODEL = Path(tempfile.mkdtemp()) / "model.json"


def _parameters(names: list[str]) -> None:
    for parameter in ssm.get_parameters(Names=names, WithDecryption=True)["Parameters"]:
        values[parameter["Name"]] = parameter["Value"]


def _secrets() -> None:
    for secret in secretsmanager.batch_get_secret_value(SecretIdList=SECRETS)["SecretValues"]:
        values[secret["Name"]] = secret["SecretString"]


def _model() -> None:
    MODEL.write_bytes(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())


_calls = [
    threading.Thread(target=_parameters, args=(PARAMETERS[:10],)),
    threading.Thread(target=_parameters, args=(PARAMETERS[10:],)),
    threading.Thread(target=_secrets),
    threading.Thread(target=_model),
]
for _call in _calls:
    _call.start()
for _call in _calls:
    _call.join()
assert len(values) == len(PARAMETERS) + len(SECRETS), sorted(values)


def handler(event: Any, context: Any) -> int:
    return len(values) + len(MODEL.read_bytes())
