"""Cache one S3 file for five minutes."""

import json
from pathlib import Path
from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.s3 import FileLongerMaxAge


@inject
def handler(
    event: dict[str, Any],
    context: object,
    status_file: Path = Provide[FileLongerMaxAge.status_file],
) -> dict[str, Any]:
    status = json.loads(status_file.read_text())["status"]
    return {"status": status}


container = FileLongerMaxAge()
container.wire(modules=[__name__])
