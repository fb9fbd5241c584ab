"""An API key decrypted with KMS from an environment variable, once per 15 minutes."""

from dependency_injector.wiring import Provide, inject

from containers.calls import DecryptedKey


@inject
def handler(event: dict, context: object, api_key: str = Provide[DecryptedKey.api_key]) -> dict:
    return {"authorized": event.get("key") == api_key}


container = DecryptedKey()
container.wire(modules=[__name__])
