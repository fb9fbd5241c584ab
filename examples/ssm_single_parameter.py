"""Cache one SSM parameter for a minute and receive it as an argument."""

from dependency_injector.wiring import Provide, inject

from containers.ssm import SingleParameter


@inject
def handler(event: dict, context: object, var: str = Provide[SingleParameter.app_var]) -> dict:
    return {"var": var}


container = SingleParameter()  # once per execution environment: the cold start
container.wire(modules=[__name__])
