"""A handler whose init prefetches the shared app: SSM values, a group, a file, two secrets."""

import os

from lambda_cache_di import prefetch
from tests.workers import read_all, shared_app

container = shared_app()
failures = prefetch(container)


def handler(event: dict, context: object) -> dict:
    return {"pid": os.getpid(), "failures": sorted(failures), "values": read_all(container)}
