"""A handler without AWS: echoes its event and names the worker process that ran it."""

import os
import time


def handler(event: dict, context: object) -> dict:
    time.sleep(event.get("sleep", 0))
    return {"echo": event, "pid": os.getpid(), "request_id": context.aws_request_id}
