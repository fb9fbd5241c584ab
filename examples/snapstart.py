"""SnapStart: values fetched during init, but no secret written into the snapshot."""

from urllib.parse import urlsplit

from dependency_injector.wiring import Provide, inject

from containers.snapstart import SnapStartApp
from lambda_cache_di import prefetch
from lambda_cache_di.snapstart import register_snapstart_hooks


@inject
def handler(
    event: dict,
    context: object,
    table_name: str = Provide[SnapStartApp.table_name],
    db_conn: str = Provide[SnapStartApp.db_conn],
) -> dict:
    return {"table": table_name, "db_host": urlsplit(db_conn).hostname}


container = SnapStartApp()
prefetch(container)  # during init, before the snapshot
# Before the snapshot: forget the secret. After a restore: forget everything.
register_snapstart_hooks(container)
