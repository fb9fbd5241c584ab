"""Every parameter under a path as one dict, keyed by the name relative to the path."""

from dependency_injector.wiring import Provide, inject

from containers.ssm import ParametersByPath


@inject
def handler(
    event: dict,
    context: object,
    config: dict = Provide[ParametersByPath.config],
    flags: dict = Provide[ParametersByPath.flags],
) -> dict:
    return {"db": f"{config['db/host']}:{config['db/port']}", "flags": sorted(flags)}


container = ParametersByPath()
container.wire(modules=[__name__])
