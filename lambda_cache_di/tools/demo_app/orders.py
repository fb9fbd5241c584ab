"""The orders handler: a table name, a database secret and a model file, all injected."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dependency_injector.wiring import Provide, inject

from lambda_cache_di.tools.demo_app.orders_container import AppContainer


@inject
def handler(
    event: dict[str, Any],
    context: object,
    table_name: str = Provide[AppContainer.table_name],
    db_conn: str = Provide[AppContainer.db_conn],
    model: Path = Provide[AppContainer.model],
) -> dict[str, Any]:
    weights = json.loads(model.read_text())
    score = sum(weights["weights"].get(item, 0.0) for item in event.get("items", []))
    return {
        "table": table_name,
        "db_host": urlsplit(db_conn).hostname,  # never return or log the secret itself
        "model_version": weights["version"],
        "score": score,
    }


container = AppContainer()  # created once per execution environment (cold start)
container.wire(modules=[__name__])
