# test_handler_moto.py
import json

import boto3
from botocore.config import Config
from lambda_cache_di import set_clock

import handler


def test_values_come_from_moto_and_stay_cached(moto_endpoint, fake_clock, invalidate_caches):
    """Values come from moto, and stay cached for their max age by the fake clock."""
    invalidate_caches(handler.container)  # after the test: values, clock and overrides restored
    set_clock(handler.container, fake_clock)
    ssm = boto3.client("ssm", config=Config(read_timeout=60))  # moto's first SSM call is slow
    ssm.put_parameter(Name="/greeter/greeting", Value="Hello", Type="String")
    boto3.client("secretsmanager").create_secret(
        Name="greeter/api-key", SecretString=json.dumps({"id": "key-1", "secret": "s3cr3t"})
    )
    assert handler.handler({"name": "Ada"}, None)["message"] == "Hello, Ada!"
    ssm.put_parameter(Name="/greeter/greeting", Value="Hi", Type="String", Overwrite=True)
    # greeting has max_age_in_seconds=300; a first value lives at least a quarter of it
    # (the default spread of a fleet's first refreshes), and never more than all of it.
    fake_clock.tick(74)
    assert handler.handler({"name": "Ada"}, None)["message"] == "Hello, Ada!"
    fake_clock.tick(226)
    assert handler.handler({"name": "Ada"}, None)["message"] == "Hi, Ada!"
