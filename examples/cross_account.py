"""Read a secret of another account by assuming a role there."""

from dependency_injector.wiring import Provide, inject

from containers.cross_account import CrossAccount


@inject
def handler(
    event: dict, context: object, db_password: str = Provide[CrossAccount.db_password]
) -> dict:
    return {"password_length": len(db_password)}


container = CrossAccount()  # once per execution environment: the cold start
container.wire(modules=[__name__])
