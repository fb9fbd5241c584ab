"""SSM Parameter Store fetcher: GetParameter, GetParameters in groups of ten, by path."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import NotFoundError
from ..names import ParameterName
from .errors import incomplete, translated

GET_PARAMETERS_LIMIT = 10

ParameterValue = str | list[str]


def parameter_value(parameter: dict[str, Any]) -> ParameterValue:
    """A parameter's plain value: StringList as a list, String and SecureString as text."""
    value: str = parameter["Value"]
    return value.split(",") if parameter.get("Type") == "StringList" else value


def get_parameter(client: Any, name: ParameterName) -> ParameterValue:
    """One parameter, decrypted."""
    with translated("GetParameter", name.full, not_found=(name.full,)):
        response = client.get_parameter(Name=name.full, WithDecryption=True)
    if "Parameter" not in response:
        raise incomplete("GetParameter", name.full, "Parameter")
    return parameter_value(response["Parameter"])


def get_parameters(
    client: Any, names: Sequence[ParameterName]
) -> dict[ParameterName, ParameterValue]:
    """Many parameters, decrypted, in GetParameters calls of at most ten names.

    Every missing name across all calls is reported in one NotFoundError.
    """
    values, missing = get_parameters_found(client, names)
    if missing:
        full = [name.full for name in missing]
        raise NotFoundError(full, f"GetParameters: parameters not found: {', '.join(full)}")
    return values


def get_parameters_found(
    client: Any, names: Sequence[ParameterName]
) -> tuple[dict[ParameterName, ParameterValue], list[ParameterName]]:
    """The parameters that exist, and the names that do not (for prefetch, which keeps both)."""
    values: dict[ParameterName, ParameterValue] = {}
    missing: list[ParameterName] = []
    for group in group_names(names):
        resource = ", ".join(name.full for name in group)
        with translated("GetParameters", resource):
            response = client.get_parameters(
                Names=[name.full for name in group], WithDecryption=True
            )
        if "Parameters" not in response:
            raise incomplete("GetParameters", resource, "Parameters")
        found = _match_results(group, response["Parameters"])
        values.update(found)
        missing.extend(name for name in group if name not in found)
    return values, missing


def group_names(names: Sequence[ParameterName]) -> Iterator[list[ParameterName]]:
    """Split names into groups of at most ten in which no bare name appears twice.

    AWS tags each result with the selector asked for, but moto does not; with
    one selector per name in a call, a result maps back by its name alone.
    """
    groups: list[list[ParameterName]] = []
    for name in dict.fromkeys(names):
        for group in groups:
            if len(group) < GET_PARAMETERS_LIMIT and all(n.name != name.name for n in group):
                group.append(name)
                break
        else:
            groups.append([name])
    yield from groups


def _match_results(
    group: list[ParameterName], parameters: list[dict[str, Any]]
) -> dict[ParameterName, ParameterValue]:
    by_name = {name.name: name for name in group}
    found: dict[ParameterName, ParameterValue] = {}
    for parameter in parameters:
        # AWS answers with the bare name (and a Selector); some emulators echo "name:selector".
        requested = by_name.get(parameter["Name"]) or by_name.get(
            parameter["Name"].partition(":")[0]
        )
        if requested is not None:
            found[requested] = parameter_value(parameter)
    return found


def get_parameters_by_path(client: Any, path: str, recursive: bool) -> dict[str, ParameterValue]:
    """Every parameter under `path` (which ends in '/'), keyed by its name relative to it."""
    values: dict[str, ParameterValue] = {}
    request_path = path if path == "/" else path.rstrip("/")
    with translated("GetParametersByPath", path):
        paginator = client.get_paginator("get_parameters_by_path")
        pages = paginator.paginate(Path=request_path, Recursive=recursive, WithDecryption=True)
        for page in pages:
            if "Parameters" not in page:
                raise incomplete("GetParametersByPath", path, "Parameters")
            for parameter in page["Parameters"]:
                name: str = parameter["Name"]
                relative = name[len(path) :] if name.startswith(path) else name.lstrip("/")
                values[relative] = parameter_value(parameter)
    return values
