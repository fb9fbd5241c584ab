"""SnapStart: parameters fetched during init, secrets only after the restore.

In a SnapStart init `prefetch` reads the String parameter and leaves the
secret alone, so it is never in the memory the snapshot copies. After each
restore the hooks drop the old connections and prefetch everything again,
the secret included, in one batched round.
"""

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
container.wire(modules=[__name__])
prefetch(container)  # during init: in a SnapStart init, no secret is fetched
register_snapstart_hooks(container)  # True when the runtime will call the hooks
