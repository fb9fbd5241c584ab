"""Feature flags from AppConfig: the whole profile, and one flag as a bool."""

from typing import Any

from dependency_injector.wiring import Provide, inject

from containers.appconfig import FeatureFlags


@inject
def handler(
    event: dict,
    context: object,
    beta_enabled: bool = Provide[FeatureFlags.beta_enabled],
    flags: dict[str, Any] = Provide[FeatureFlags.flags],
    routing: bytes = Provide[FeatureFlags.routing],
) -> dict:
    return {"beta": beta_enabled, "flags": sorted(flags), "routing_bytes": len(routing)}


container = FeatureFlags()  # once per execution environment: the cold start
container.wire(modules=[__name__])
