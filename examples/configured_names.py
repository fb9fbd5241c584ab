"""A handler whose parameter and secret names come from environment variables."""

from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.configured import ConfiguredApp
from examples.db_creds import DbCreds


@inject
def handler(
    event: dict[str, Any],
    context: object,
    table_name: str = Provide[ConfiguredApp.table_name],
    db_creds: DbCreds = Provide[ConfiguredApp.db_creds],
) -> dict[str, Any]:
    return {"table": table_name, "db_host": db_creds.host, "db_user": db_creds.user}


container = ConfiguredApp()
container.config.table_parameter.from_env("TABLE_PARAMETER")
container.config.db_secret.from_env("DB_SECRET")
container.config.max_age.from_env("CACHE_MAX_AGE", as_=float, default=300.0)
