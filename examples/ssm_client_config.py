"""Longer timeouts for one function: override the clients container's botocore Config."""

from dependency_injector import providers
from dependency_injector.wiring import Provide, inject

from containers.ssm import SingleParameter
from lambda_cache_di.fetchers.clients import lambda_config


@inject
def handler(event: dict, context: object, var: str = Provide[SingleParameter.app_var]) -> dict:
    return {"var": var}


container = SingleParameter()
# Before the first call: the ssm client is created lazily with this Config.
container.aws.config.override(providers.Object(lambda_config(read_timeout=10)))
container.wire(modules=[__name__])
