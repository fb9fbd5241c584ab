"""Cache one SSM parameter for five minutes."""

from dependency_injector.wiring import Provide, inject

from containers.ssm import LongerMaxAge


@inject
def handler(event: dict, context: object, var: str = Provide[LongerMaxAge.app_var]) -> dict:
    return {"var": var}


container = LongerMaxAge()
container.wire(modules=[__name__])
