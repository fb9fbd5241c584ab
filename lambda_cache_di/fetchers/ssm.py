"""SSM Parameter Store fetcher: GetParameter, GetParameters in groups of ten (at once), by path.

GetParametersByPath pages cannot be fetched at once: each request needs the
NextToken of the page before it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..core.names import ParameterName
from ..core.records import SecureText  # defined in core: the shared tier reads it back
from ..errors import NotFoundError
from .errors import incomplete, translated
from .groups import map_groups

GET_PARAMETERS_LIMIT = 10

ParameterValue = str | list[str]


def parameter_value(parameter: dict[str, Any], operation: str = "GetParameters") -> ParameterValue:
    """A parameter's plain value: StringList as a list, String and SecureString as text."""
    value = parameter.get("Value")
    if not isinstance(value, str):
        raise incomplete(operation, str(parameter.get("Name", "a parameter")), "Value")
    kind = parameter.get("Type")
    if kind == "StringList":
        return value.split(",")
    return SecureText(value) if kind == "SecureString" else value


def holds_secure_text(value: object) -> bool:
    """Whether a fetched value (or any value of a group of them) came from a SecureString."""
    if isinstance(value, dict):
        return any(isinstance(item, SecureText) for item in value.values())
    return isinstance(value, SecureText)


def is_parameter_value(value: object) -> bool:
    """Whether `value` is what GetParameter gives: text, or a StringList's list of texts."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def _check_names(parameters: list[dict[str, Any]], operation: str, resource: str) -> None:
    """A result without its name cannot be matched to a request: the answer was cut."""
    if any(not isinstance(parameter.get("Name"), str) for parameter in parameters):
        raise incomplete(operation, resource, "Name")


def get_parameter(client: Any, name: ParameterName) -> ParameterValue:
    """One parameter, decrypted."""
    with translated("GetParameter", name.full, not_found=(name.full,)):
        response = client.get_parameter(Name=name.full, WithDecryption=True)
    if "Parameter" not in response:
        raise incomplete("GetParameter", name.full, "Parameter")
    return parameter_value(response["Parameter"], "GetParameter")


class ServedCalls:
    """What the tries of one refresh of a group have learned: calls answered, and throttling.

    A group of more than ten names is several calls at once. When one of them is
    throttled, the retry sends only the calls that failed: sending the answered
    ones again would spend the quota that throttled the first try. And once a
    try was throttled, the next ones send their calls one at a time, stopping at
    the first refused: a refused call spends nothing, and an answered one is
    followed at once by the next, while this environment has the quota's ear.
    The provider holds one of these across the tries of one refresh, and
    `clear()`s it after.
    """

    __slots__ = ("throttled_at", "values")

    def __init__(self) -> None:
        self.values: dict[ParameterName, ParameterValue] = {}
        # When a try was last throttled, on the provider's clock; None: not throttled.
        self.throttled_at: float | None = None

    def keep(self, answer: tuple[dict[ParameterName, ParameterValue], set[str]]) -> None:
        self.values.update(answer[0])

    def clear(self) -> None:
        self.values.clear()
        self.throttled_at = None


def get_parameters(
    client: Any, names: Sequence[ParameterName], served: ServedCalls | None = None
) -> dict[ParameterName, ParameterValue]:
    """Many parameters, decrypted, in GetParameters calls of at most ten names.

    Every missing name across all calls is reported in one NotFoundError. With
    `served`, names answered by an earlier try are not asked again, and the
    answers of this try's calls are kept there when another call fails.
    """
    values, missing = get_parameters_found(client, names, served=served)
    if missing:
        # The error keeps this frame: the SecureString values that did arrive must not stay.
        del values
        full = [name.full for name in missing]
        raise NotFoundError(full, f"GetParameters: parameters not found: {', '.join(full)}")
    return values


def get_parameters_found(
    client: Any,
    names: Sequence[ParameterName],
    *,
    decrypt: bool = True,
    served: ServedCalls | None = None,
) -> tuple[dict[ParameterName, ParameterValue], list[ParameterName]]:
    """The parameters that exist, and the names that do not (for prefetch, which keeps both).

    With `decrypt=False` (a SnapStart init) nothing is decrypted, and SecureString
    parameters are left out of both: neither a value nor missing.
    """
    values: dict[ParameterName, ParameterValue] = {}
    missing: list[ParameterName] = []
    if served is not None:
        values.update((name, served.values[name]) for name in names if name in served.values)
    groups = list(group_names([name for name in names if name not in values]))
    # All calls at once (see groups.py): one refresh costs one round trip.
    results = map_groups(
        lambda group: _get_group(client, group, decrypt),
        groups,
        on_served=None if served is None else served.keep,
        one_at_a_time=served is not None and served.throttled_at is not None,
    )
    for group, (found, secure) in zip(groups, results, strict=True):
        values.update(found)
        missing.extend(name for name in group if name not in found and name.name not in secure)
    return values, missing


def _get_group(
    client: Any, group: list[ParameterName], decrypt: bool
) -> tuple[dict[ParameterName, ParameterValue], set[str]]:
    """One GetParameters call: the values found by the name asked for, and SecureStrings left out.

    Without `decrypt`, SecureString parameters are left out of the values: their
    names come back in the set, so that they count as neither found nor missing.
    """
    resource = ", ".join(name.full for name in group)
    with translated("GetParameters", resource):
        response = client.get_parameters(
            Names=[name.full for name in group], WithDecryption=decrypt
        )
    if "Parameters" not in response:
        raise incomplete("GetParameters", resource, "Parameters")
    parameters = response["Parameters"]
    _check_names(parameters, "GetParameters", resource)
    secure = set() if decrypt else _secure_names(parameters)
    if secure:
        parameters = [p for p in parameters if p["Name"].partition(":")[0] not in secure]
    return _match_results(client, group, parameters), secure


def _secure_names(parameters: list[dict[str, Any]]) -> set[str]:
    return {p["Name"].partition(":")[0] for p in parameters if p.get("Type") == "SecureString"}


def group_names(names: Sequence[ParameterName]) -> Iterator[list[ParameterName]]:
    """Split names, without repeats, into groups of at most ten (one GetParameters call each)."""
    unique = list(dict.fromkeys(names))
    for start in range(0, len(unique), GET_PARAMETERS_LIMIT):
        yield unique[start : start + GET_PARAMETERS_LIMIT]


def _match_results(
    client: Any, group: list[ParameterName], parameters: list[dict[str, Any]]
) -> dict[ParameterName, ParameterValue]:
    """Map each returned parameter to the name asked for, by name and selector.

    AWS tags a result with the `Selector` it answers (":3", ":label"); moto does
    not. Without tags a result maps by name alone when only one request had
    that name, else by version for a numeric selector; a label that still
    cannot be told apart is read again on its own with GetParameter.
    """
    found: dict[ParameterName, ParameterValue] = {}
    tagged = any("Selector" in parameter for parameter in parameters)
    pending = list(parameters)
    progress = True
    # Each pass maps what it can; a match narrows the choice left for the others.
    while pending and progress:
        progress = False
        for parameter in list(pending):
            bare, _, echoed = parameter["Name"].partition(":")
            selector = parameter.get("Selector", "").lstrip(":") or echoed or None
            open_requests = [name for name in group if name.name == bare and name not in found]
            match = _pick(open_requests, selector, tagged, parameter.get("Version"))
            if match is not None:
                found[match] = parameter_value(parameter)
                pending.remove(parameter)
                progress = True
    unmatched = {parameter["Name"].partition(":")[0] for parameter in pending}
    for name in group:
        if name not in found and name.name in unmatched:
            found[name] = get_parameter(client, name)
    return found


def _pick(
    candidates: list[ParameterName], selector: str | None, tagged: bool, version: object
) -> ParameterName | None:
    if selector is not None or tagged:
        return next((name for name in candidates if name.selector == selector), None)
    if len(candidates) == 1:
        return candidates[0]
    by_version = [name for name in candidates if name.selector == str(version)]
    return by_version[0] if by_version else None


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
            _check_names(page["Parameters"], "GetParametersByPath", path)
            for parameter in page["Parameters"]:
                name: str = parameter["Name"]
                relative = name[len(path) :]
                values[relative] = parameter_value(parameter, "GetParametersByPath")
    return values
