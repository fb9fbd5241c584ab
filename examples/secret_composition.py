"""One JSON secret, fetched once per max age, injected as a field and as a model."""

from dependency_injector.wiring import Provide, inject

from containers.secrets import Composition
from examples.app.credentials import DbCredentials


@inject
def handler(
    event: dict,
    context: object,
    password: str = Provide[Composition.db_password],
    credentials: DbCredentials = Provide[Composition.db_credentials],
) -> dict:
    return {
        "user": credentials.username,
        "address": f"{credentials.host}:{credentials.port}",
        "password_length": len(password),
    }


container = Composition()
container.wire(modules=[__name__])
