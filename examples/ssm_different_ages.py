"""Two SSM parameters refreshed on their own schedules (30 s and 60 s)."""

from dependency_injector.wiring import Provide, inject

from containers.ssm import DifferentAges


@inject
def handler(
    event: dict,
    context: object,
    var1: str = Provide[DifferentAges.var1],
    var2: str = Provide[DifferentAges.var2],
) -> dict:
    return {"var1": var1, "var2": var2}


container = DifferentAges()
container.wire(modules=[__name__])
