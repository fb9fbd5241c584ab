"""The account id from sts:GetCallerIdentity, cached for an hour."""

from dependency_injector.wiring import Provide, inject

from containers.calls import CallerIdentity


@inject
def handler(event: dict, context: object, account: str = Provide[CallerIdentity.account]) -> dict:
    return {"account": account}


container = CallerIdentity()
container.wire(modules=[__name__])
