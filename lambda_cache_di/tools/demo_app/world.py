"""The AWS resources the orders examples expect, created in whatever endpoint boto3 points at."""

import json

import boto3

PARAMETERS = {"/prod/orders/table": "orders-prod"}
SECRETS = {"/prod/db/conn_string": "postgresql://orders:demo-password@db.internal:5432/orders"}
MODEL = {"version": 3, "weights": {"book": 0.2, "lamp": 0.7, "pen": 0.05}}


def seed() -> None:
    """Create the parameter, the secret and the model file."""
    ssm = boto3.client("ssm")
    for name, value in PARAMETERS.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    secretsmanager = boto3.client("secretsmanager")
    for name, value in SECRETS.items():
        secretsmanager.create_secret(Name=name, SecretString=value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="churn/model.json", Body=json.dumps(MODEL).encode())
