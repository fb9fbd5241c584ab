"""Force a fresh read of a parameter inside a handler: inject the provider, call refresh()."""

from dependency_injector.wiring import Provide, Provider, inject

from containers.ssm import ForcedRefresh
from lambda_cache_di import SSMParameter


@inject
def handler(
    event: dict,
    context: object,
    var: str = Provide[ForcedRefresh.var],
    var_provider: SSMParameter = Provider[ForcedRefresh.var],
) -> dict:
    if event.get("refresh"):
        var = var_provider.refresh()
    return {"var": var}


container = ForcedRefresh()
container.wire(modules=[__name__])
