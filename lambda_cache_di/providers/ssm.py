"""SSM Parameter Store providers: one parameter, a group, everything under a path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..fetchers import ssm
from ..fetchers.ssm import ParameterValue, holds_secure_text
from ..names import (
    ParameterName,
    keyed,
    parse_parameter_name,
    parse_parameter_path,
)
from .base import CachedProvider, CacheOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack


class SSMParameter(CachedProvider[ParameterValue]):
    """One parameter: `str` for String and SecureString (decrypted), `list[str]` for StringList."""

    __slots__ = ("_name",)
    service = "ssm"

    def __init__(self, name: str, **options: Unpack[CacheOptions]) -> None:
        self._name = parse_parameter_name(name, "name")
        super().__init__(**options)

    @property
    def name(self) -> ParameterName:
        return self._name

    @property
    def resource(self) -> str:
        return self._name.full

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self._name.full,), {}

    def _fetch_with(self, client: Any) -> ParameterValue:
        return ssm.get_parameter(client, self._name)

    def private_value(self, raw: Any) -> bool:
        return holds_secure_text(raw)


class SSMParameters(CachedProvider[dict[str, ParameterValue]]):
    """Several parameters as one dict, fetched in GetParameters calls of at most ten.

    Keys are the last path segment of each name, or the keys of a mapping
    `{key: name}`.
    """

    __slots__ = ("_keyed",)
    service = "ssm"

    def __init__(
        self, names: Sequence[str] | Mapping[str, str], **options: Unpack[CacheOptions]
    ) -> None:
        self._keyed = keyed(names, parse_parameter_name, "names")
        super().__init__(**options)

    @property
    def names(self) -> dict[str, ParameterName]:
        """Result key to parameter name."""
        return dict(self._keyed)

    @property
    def resource(self) -> str:
        return ", ".join(name.full for name in self._keyed.values())

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return ({key: name.full for key, name in self._keyed.items()},), {}

    def _fetch_with(self, client: Any) -> dict[str, ParameterValue]:
        values = ssm.get_parameters(client, list(self._keyed.values()))
        return {key: values[name] for key, name in self._keyed.items()}

    def private_value(self, raw: Any) -> bool:
        return holds_secure_text(raw)


class SSMParametersByPath(CachedProvider[dict[str, ParameterValue]]):
    """Every parameter under a path, keyed by its name relative to the path."""

    __slots__ = ("_path", "_recursive")
    service = "ssm"

    def __init__(self, path: str, recursive: bool = True, **options: Unpack[CacheOptions]) -> None:
        self._path = parse_parameter_path(path, "path")
        if not isinstance(recursive, bool):
            raise ConfigurationError(f"recursive must be True or False, not {recursive!r}")
        self._recursive = recursive
        super().__init__(**options)

    @property
    def path(self) -> str:
        return self._path

    @property
    def recursive(self) -> bool:
        return self._recursive

    @property
    def resource(self) -> str:
        return self._path

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self._path,), {"recursive": self._recursive}

    def _fetch_with(self, client: Any) -> dict[str, ParameterValue]:
        return ssm.get_parameters_by_path(client, self._path, self._recursive)

    def private_value(self, raw: Any) -> bool:
        return holds_secure_text(raw)
