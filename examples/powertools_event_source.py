"""`@event_source` and other `@lambda_handler_decorator` middlewares in a wired module.

The decorated entry point carries no `Provide` marker; it calls an injected
function. Wiring patches every function of the module whose signature (seen
through `functools.wraps`) holds markers, so a decorated function with markers
would be patched on the outside too, and the middleware would be handed the
injected values as keyword arguments it does not accept.
"""

import hashlib
import hmac
from collections.abc import Callable

from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from dependency_injector.wiring import Provide, inject

from containers.powertools import PowertoolsValues


@lambda_handler_decorator
def with_record_count(handler: Callable, event: dict, context: LambdaContext) -> dict:
    return {**handler(event, context), "received": len(event.get("Records", []))}


@inject
def sign_messages(
    event: SQSEvent,
    api_key: str = Provide[PowertoolsValues.api_key],
    table_name: str = Provide[PowertoolsValues.table_name],
) -> dict:
    key = api_key.encode()
    signatures = [
        hmac.new(key, record.body.encode(), hashlib.sha256).hexdigest() for record in event.records
    ]
    return {"table": table_name, "signatures": signatures}


@with_record_count
@event_source(data_class=SQSEvent)
def handler(event: SQSEvent, context: LambdaContext) -> dict:
    return sign_messages(event)


container = PowertoolsValues()
container.wire(modules=[__name__])  # after the functions: wiring patches what is defined above
