"""Several SSM parameters as one dict, fetched in GetParameters calls of up to ten names."""

from dependency_injector.wiring import Provide, inject

from containers.ssm import ParameterGroup


@inject
def handler(
    event: dict,
    context: object,
    settings: dict = Provide[ParameterGroup.settings],
    tables: dict = Provide[ParameterGroup.tables],
) -> dict:
    # StringList parameters arrive as lists, String and SecureString as text.
    return {
        "var1": settings["var1"],
        "var2": settings["var2"],
        "hosts": settings["hosts"],
        "table": tables["orders_dev"] if event.get("stage") == "dev" else tables["orders"],
    }


container = ParameterGroup()
container.wire(modules=[__name__])
