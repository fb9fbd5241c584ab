"""Cache one S3 file in /tmp and read a JSON status from it."""

import json
from pathlib import Path
from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.s3 import SingleFile


@inject
def handler(
    event: dict[str, Any], context: object, status_file: Path = Provide[SingleFile.status_file]
) -> dict[str, Any]:
    status = json.loads(status_file.read_text())["status"]
    return {"status": status}


container = SingleFile()  # once per execution environment: the cold start
container.wire(modules=[__name__])
