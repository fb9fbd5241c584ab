"""Refresh an expired S3 file by a conditional request, or by downloading it again."""

import json
from pathlib import Path
from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.s3 import CheckBeforeDownload


@inject
def handler(
    event: dict[str, Any],
    context: object,
    status_file: Path = Provide[CheckBeforeDownload.status_file],
    flags_file: Path = Provide[CheckBeforeDownload.flags_file],
) -> dict[str, Any]:
    status = json.loads(status_file.read_text())["status"]
    flags = json.loads(flags_file.read_text())
    return {"status": status, "flags": flags}


container = CheckBeforeDownload()
container.wire(modules=[__name__])
