"""Feature switches from an internal HTTP endpoint, cached and served stale if it is down."""

from dependency_injector.wiring import Provide, inject

from containers.calls import FeatureConfig


@inject
def handler(event: dict, context: object, features: dict = Provide[FeatureConfig.features]) -> dict:
    return {"new_checkout": bool(features.get("new_checkout"))}


container = FeatureConfig()
container.wire(modules=[__name__])
