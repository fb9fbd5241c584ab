"""Load a model file from S3 once per execution environment, and again only when it changes."""

from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.s3 import Model
from examples.app.churn_model import score


@inject
def handler(
    event: dict[str, Any], context: object, model: Any = Provide[Model.model]
) -> dict[str, Any]:
    # The file is kept for a day; a refresh that finds it unchanged costs one 304 and no parse.
    return {"version": model["version"], "score": score(model, event["features"])}


container = Model()
container.wire(modules=[__name__])
