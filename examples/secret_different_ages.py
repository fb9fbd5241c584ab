"""Two secrets refreshed on their own schedules (30 s and 60 s)."""

from dependency_injector.wiring import Provide, inject

from containers.secrets import DifferentAges


@inject
def handler(
    event: dict,
    context: object,
    conn_string: str = Provide[DifferentAges.conn_string],
    elk: str = Provide[DifferentAges.elk],
) -> dict:
    return {"conn_string_length": len(conn_string), "elk_length": len(elk)}


container = DifferentAges()
container.wire(modules=[__name__])
