"""A handler whose parameter and secret names come from environment variables."""

from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.configured_names import ConfiguredApp
from examples.app.credentials import DbCredentials


@inject
def handler(
    event: dict[str, Any],
    context: object,
    table_name: str = Provide[ConfiguredApp.table_name],
    credentials: DbCredentials = Provide[ConfiguredApp.db_credentials],
) -> dict[str, Any]:
    return {"table": table_name, "db_host": credentials.host, "db_user": credentials.username}


container = ConfiguredApp()
container.wire(modules=[__name__])
container.config.table_parameter.from_env("TABLE_PARAMETER")
container.config.db_secret.from_env("DB_SECRET")
container.config.max_age.from_env("CACHE_MAX_AGE", as_=float, default=300.0)
