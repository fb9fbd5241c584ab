"""Fetch every value in the init phase of a cold start: batched, in parallel, never raising."""

from pathlib import Path

from dependency_injector.wiring import Provide, inject

from containers.prefetch_app import PrefetchApp
from lambda_cache_di import prefetch


@inject
def handler(
    event: dict,
    context: object,
    table_name: str = Provide[PrefetchApp.table_name],
    api_url: str = Provide[PrefetchApp.api_url],
    db: dict = Provide[PrefetchApp.db],
    model: Path = Provide[PrefetchApp.model],
) -> dict:
    return {"table": table_name, "api": api_url, "user": db["user"], "model": model.read_text()}


container = PrefetchApp()
container.wire(modules=[__name__])  # after the handler: wiring patches what is defined above
# One GetParameters call for both parameters, one BatchGetSecretValue, one GetObject, at once.
# A value that fails is logged (name and error type only) and fetched again on first use.
failures = prefetch(container)
