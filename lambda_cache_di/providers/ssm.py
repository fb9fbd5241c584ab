"""SSM Parameter Store providers: one parameter, a group, everything under a path."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from ..core.environment import in_snapstart_init
from ..core.iam import KMS_NOTE, Arns, IamGrant
from ..core.names import (
    ParameterName,
    keyed,
    parse_parameter_name,
    parse_parameter_path,
)
from ..core.shared import BatchAnswer
from ..errors import ConfigurationError, FetchError, NotFoundError
from ..fetchers import ssm
from ..fetchers.ssm import holds_secure_text
from .arguments import AgeOptions
from .base import CachedProvider

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")
R = TypeVar("R")
_READ = ("ssm:GetParameter", "ssm:GetParameters")


def _read_grant(arns: Arns, names: list[ParameterName]) -> list[IamGrant]:
    # GetParameters too: prefetch groups single parameters into GetParameters calls.
    return [IamGrant("ReadSSMParameters", _READ, tuple(arns.parameter(n.name) for n in names))]


class SSMParameter(CachedProvider[T]):
    """One parameter: `str` for String and SecureString (decrypted), `list[str]` for StringList.

    `name` may be a provider (`config.param_name`), resolved on first use.

    Args:
        name: the parameter's name (`/app/table`), optionally with a `:version`
            or `:label` selector, or a provider of it.
        **options: the keyword arguments every cached provider takes
            (`max_age_in_seconds`, `client`, `transform`, ...), listed on `CachedProvider`.
    """

    __slots__ = ("_name",)
    service = "ssm"
    argument = "name"
    noun = "parameter"
    snapshot_safe = True  # a SnapStart init reads it undecrypted (see fetch_batch)
    iam_notes = (KMS_NOTE,)

    # Statically `str`: a StringList's `list[str]` depends on the parameter's type in AWS.
    @overload
    def __init__(
        self: SSMParameter[str],
        name: str | Any,
        *,
        transform: None = None,
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: SSMParameter[Any],
        name: str | Any,
        *,
        transform: Literal["json"],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: SSMParameter[R],
        name: str | Any,
        *,
        transform: Callable[[Any], R],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    def __init__(
        self, name: str | Any, *, transform: Any = None, **options: Unpack[AgeOptions]
    ) -> None:
        super().__init__(name, transform=transform, **options)

    def _define(self, value: Any) -> None:
        self._name = parse_parameter_name(value, "name")

    @property
    def name(self) -> ParameterName:
        """The parameter name, resolved first if it was given as a provider."""
        self.resolve()
        return self._name

    def _describe(self) -> str:
        return self._name.full

    def _fetch_with(self, client: Any) -> Any:
        return ssm.get_parameter(client, self._name)

    def private_value(self, raw: Any) -> bool:
        return holds_secure_text(raw)

    def batch_key(self) -> Hashable:
        """The parameter name: prefetch reads single parameters in GetParameters calls."""
        return self.name

    @classmethod
    def fetch_batch(cls, client: Any, keys: list[Any]) -> BatchAnswer:
        """One GetParameters call; in a SnapStart init SecureStrings stay encrypted, left out."""
        values, missing = ssm.get_parameters_found(client, keys, decrypt=not in_snapstart_init())
        return values, {name: NotFoundError((name.full,)) for name in missing}

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """`ssm:GetParameter` and `ssm:GetParameters` on the parameter, selector removed."""
        return _read_grant(arns, [self.name])

    def raw_value_ok(self, raw: Any) -> bool:
        return ssm.is_parameter_value(raw)


class SSMParameters(CachedProvider[T]):
    """Several parameters as one dict, fetched in GetParameters calls of at most ten.

    Keys are the last path segment of each name, or the keys of a mapping
    `{key: name}`. A transform applies to each value.

    Args:
        names: a list of parameter names, or a mapping `{key: name}`, or a provider of either.
        **options: the keyword arguments every cached provider takes
            (`max_age_in_seconds`, `client`, `transform`, ...), listed on `CachedProvider`.
    """

    __slots__ = ("_keyed", "_served")
    service = "ssm"
    argument = "names"
    noun = "parameter"
    per_value = True
    iam_notes = (KMS_NOTE,)

    @overload
    def __init__(
        self: SSMParameters[dict[str, str]],
        names: Sequence[str] | Mapping[str, str] | Any,
        *,
        transform: None = None,
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: SSMParameters[dict[str, Any]],
        names: Sequence[str] | Mapping[str, str] | Any,
        *,
        transform: Literal["json"],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: SSMParameters[dict[str, R]],
        names: Sequence[str] | Mapping[str, str] | Any,
        *,
        transform: Callable[[Any], R],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    def __init__(
        self,
        names: Sequence[str] | Mapping[str, str] | Any,
        *,
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        self._served = ssm.ServedCalls()
        super().__init__(names, transform=transform, **options)

    def _define(self, value: Any) -> None:
        self._keyed = keyed(value, parse_parameter_name, "names")

    @property
    def names(self) -> dict[str, ParameterName]:
        """Result key to parameter name."""
        self.resolve()
        return dict(self._keyed)

    def _describe(self) -> str:
        return ", ".join(name.full for name in self._keyed.values())

    def _member(self, key: str) -> str:
        return f"parameter {self._keyed[key].full}"

    def _fetch_with(self, client: Any) -> dict[str, Any]:
        # The tries of one refresh run under the entry's single-flight lock, one at a
        # time: calls a throttled try had answered are not sent again by the next.
        served = self._served
        wait = self._options["throttle_wait_in_seconds"]
        if served.throttled_at is not None and self.clock() - served.throttled_at > wait:
            served.clear()  # left by a refresh that gave up long ago: not this one's
        try:
            values = ssm.get_parameters(client, list(self._keyed.values()), served)
        except FetchError as exc:
            if not exc.throttled:
                served.clear()
                raise
            served.throttled_at = self.clock()
            # Some calls answered: the next try comes back sooner (core.pacing.throttle_pause);
            # several calls: the last try leaves time for the others (fetch_waiting).
            exc.in_parts = len(self._keyed) > ssm.GET_PARAMETERS_LIMIT
            exc.partly_served = bool(served.values)
            raise
        served.clear()
        return {key: values[name] for key, name in self._keyed.items()}

    def private_value(self, raw: Any) -> bool:
        return holds_secure_text(raw)

    def _share_keys(self) -> list[str]:
        return list(self._keyed)

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """`ssm:GetParameter` and `ssm:GetParameters` on each parameter, selector removed."""
        return _read_grant(arns, list(self.names.values()))

    def raw_value_ok(self, raw: Any) -> bool:
        return (
            isinstance(raw, dict)
            and raw.keys() == self._keyed.keys()
            and all(ssm.is_parameter_value(item) for item in raw.values())
        )


class SSMParametersByPath(CachedProvider[T]):
    """Every parameter under a path, keyed by its name relative to the path.

    A transform applies to each value; `"json"` is not offered here, since a
    path usually mixes plain values with documents.

    Args:
        path: the path prefix (`/app/`), or a provider of it.
        recursive: whether the levels below the path are read too.
        **options: the keyword arguments every cached provider takes
            (`max_age_in_seconds`, `client`, `transform`, ...), listed on `CachedProvider`.
    """

    __slots__ = ("_path", "_recursive")
    service = "ssm"
    argument = "path"
    noun = "parameter"
    per_value = True
    json_transform = False
    iam_notes = (KMS_NOTE,)

    @overload
    def __init__(
        self: SSMParametersByPath[dict[str, str]],
        path: str | Any,
        recursive: bool = True,
        *,
        transform: None = None,
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: SSMParametersByPath[dict[str, R]],
        path: str | Any,
        recursive: bool = True,
        *,
        transform: Callable[[Any], R],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    def __init__(
        self,
        path: str | Any,
        recursive: bool = True,
        *,
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        if not isinstance(recursive, bool):
            raise ConfigurationError(f"recursive must be True or False, not {recursive!r}")
        self._recursive = recursive
        super().__init__(path, transform=transform, **options)

    def _define(self, value: Any) -> None:
        self._path = parse_parameter_path(value, "path")

    @property
    def path(self) -> str:
        """The path prefix, ending in '/', resolved first if it was given as a provider."""
        self.resolve()
        return self._path

    @property
    def recursive(self) -> bool:
        """Whether parameters in the levels below the path are read too."""
        return self._recursive

    def _describe(self) -> str:
        return self._path

    def _member(self, key: str) -> str:
        return f"parameter {self._path.rstrip('/')}/{key}"

    def _arguments(self) -> dict[str, Any]:
        return {"recursive": self._recursive}

    def _fetch_with(self, client: Any) -> dict[str, Any]:
        return ssm.get_parameters_by_path(client, self._path, self._recursive)

    def private_value(self, raw: Any) -> bool:
        return holds_secure_text(raw)

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """`ssm:GetParametersByPath` on the path itself, recursive or not.

        AWS authorizes that action against the path in the request, not against
        the parameters it returns: `path/*` would grant more paths than are asked.
        """
        resource = (arns.path(self.path),)
        return [IamGrant("ReadSSMParametersByPath", ("ssm:GetParametersByPath",), resource)]

    def raw_value_ok(self, raw: Any) -> bool:
        return isinstance(raw, dict) and all(ssm.is_parameter_value(v) for v in raw.values())
