"""Accept a webhook signed with the current or, during a rotation, the previous key."""

import hashlib
import hmac

from dependency_injector.wiring import Provide, Provider, inject

from containers.secrets import VersionStages
from lambda_cache_di import NotFoundError, Secret


def signature(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


@inject
def handler(
    event: dict,
    context: object,
    current_key: str = Provide[VersionStages.current_key],
    previous_key: Secret = Provider[VersionStages.previous_key],
) -> dict:
    body, signed = event["body"], event["signature"]
    if hmac.compare_digest(signature(current_key, body), signed):
        return {"valid": True, "signed_with": "AWSCURRENT"}
    # Only a signature the current key rejects costs a look at the previous
    # version, which does not exist before the first rotation.
    try:
        previous = previous_key()
    except NotFoundError:
        return {"valid": False, "signed_with": None}
    if hmac.compare_digest(signature(previous, body), signed):
        return {"valid": True, "signed_with": "AWSPREVIOUS"}
    return {"valid": False, "signed_with": None}


container = VersionStages()
container.wire(modules=[__name__])
