"""The orders handler as often written without a cache: three AWS calls per invocation.

The demo runs it beside orders.py to count what caching saves.
"""

import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

ssm = boto3.client("ssm")
secretsmanager = boto3.client("secretsmanager")
s3 = boto3.client("s3")
MODEL_PATH = Path(tempfile.gettempdir()) / "orders-uncached-model.json"


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    table_name = ssm.get_parameter(Name="/prod/orders/table")["Parameter"]["Value"]
    db_conn = secretsmanager.get_secret_value(SecretId="/prod/db/conn_string")["SecretString"]
    s3.download_file("models", "churn/model.json", str(MODEL_PATH))
    weights = json.loads(MODEL_PATH.read_text())
    score = sum(weights["weights"].get(item, 0.0) for item in event.get("items", []))
    return {
        "table": table_name,
        "db_host": urlsplit(db_conn).hostname,
        "model_version": weights["version"],
        "score": score,
    }
