"""A setting and a partition of feature flags from DynamoDB, cached."""

from dependency_injector.wiring import Provide, inject

from containers.dynamodb import Settings


@inject
def handler(
    event: dict,
    context: object,
    timeout: int = Provide[Settings.timeout],
    flags: dict = Provide[Settings.flags],
) -> dict:
    return {"timeout": timeout, "enabled": sorted(name for name, on in flags.items() if on)}


container = Settings()
container.wire(modules=[__name__])
