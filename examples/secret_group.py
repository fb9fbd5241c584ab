"""Several secrets as one dict, fetched in BatchGetSecretValue calls of up to twenty ids."""

from dependency_injector.wiring import Provide, inject

from containers.secrets import SecretGroup


@inject
def handler(
    event: dict,
    context: object,
    api_keys: dict = Provide[SecretGroup.api_keys],
    databases: dict = Provide[SecretGroup.databases],
) -> dict:
    # Keys are the last path segment of each name, or the keys of the mapping.
    database = databases[event.get("database", "orders")]
    return {
        "api_keys": sorted(api_keys),
        "database_host": database["host"],
    }


container = SecretGroup()
container.wire(modules=[__name__])
