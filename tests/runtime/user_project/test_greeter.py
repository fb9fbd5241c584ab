"""A user's tests of greeter.py under the real runtime client, with the lambda_runtime fixture."""

import boto3
import pytest
from botocore.config import Config

from lambda_cache_di.testing.runtime import InvocationFailed


def test_greets_under_the_real_runtime(moto_endpoint, lambda_runtime):
    ssm = boto3.client("ssm", config=Config(read_timeout=60))  # moto's first SSM call is slow
    ssm.put_parameter(Name="/greeter/greeting", Value="Hello", Type="String")
    runtime = lambda_runtime("greeter.handler")
    response = runtime.invoke({"name": "Ada"})
    assert response == {"message": "Hello, Ada!", "function": "test-function"}
    with pytest.raises(InvocationFailed) as failure:
        runtime.invoke({})
    assert failure.value.invocation.json()["errorType"] == "KeyError"


def test_an_import_error_fails_the_invocation_at_once(lambda_runtime):
    runtime = lambda_runtime("no_such_module.handler")
    with pytest.raises(InvocationFailed) as failure:
        runtime.invoke({"name": "Ada"})
    assert failure.value.invocation.error_type == "Runtime.ImportModuleError"
