"""`CachedCall`: any fetch callable (an AWS call, an HTTP endpoint) as a cached provider."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from dependency_injector import providers

from ..core.iam import Arns, IamGrant
from ..core.shared import SharedValue
from ..errors import ConfigurationError, FetchError, LambdaCacheError
from ..fetchers.calls import call
from .arguments import AgeOptions
from .base import CachedProvider

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")
R = TypeVar("R")

_ACTION = re.compile(r"[a-z0-9\-]+:[A-Za-z0-9*?]+")


def _actions(value: object) -> tuple[str, ...]:
    """IAM actions such as `sts:GetCallerIdentity`; a str alone is refused (a common slip)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigurationError(f"iam_actions must be a list of IAM actions, not {value!r}")
    for action in value:
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise ConfigurationError(f"iam_actions: {action!r} is not an IAM action (service:Name)")
    return tuple(value)


def _resources(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ConfigurationError(f"iam_resources must be a non-empty list of ARNs, not {value!r}")
    if not all(
        isinstance(item, str) and (item == "*" or item.startswith("arn:")) for item in value
    ):
        raise ConfigurationError(f"iam_resources must hold ARNs or '*', not {value!r}")
    return tuple(value)


class CachedCall(CachedProvider[T]):
    """What `fetch(client)` returns, cached like every other source (`fetch()` with no client).

    `client` is a boto3 client or a provider of one (`aws.sts`); without one the
    callable gets no argument (an HTTP endpoint, say). `name` is how messages
    and the shared tier name it (default: the callable's module and name).
    Values stay in process memory unless `shared=True`, which you say only for
    a JSON-safe value (text, bytes, lists and dicts of them) that every
    process of the environment may see. `holds_secrets=True` also drops
    the value before a SnapStart snapshot and never chains the callable's own
    errors. `iam_actions` (on `iam_resources`, default `*`) is what `iam-policy`
    grants for it. botocore errors are translated as the library's fetchers do;
    any other exception becomes a FetchError naming its class.
    """

    __slots__ = ("_call_name", "_fetch_function", "_holds_secrets", "_iam")
    service = "call"
    argument = "fetch"
    noun = "value"

    @overload
    def __init__(
        self: CachedCall[R],
        fetch: Callable[..., R],
        *,
        name: str | None = None,
        holds_secrets: bool = False,
        iam_actions: Sequence[str] = (),
        iam_resources: Sequence[str] = ("*",),
        transform: None = None,
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: CachedCall[Any],
        fetch: Callable[..., Any],
        *,
        name: str | None = None,
        holds_secrets: bool = False,
        iam_actions: Sequence[str] = (),
        iam_resources: Sequence[str] = ("*",),
        transform: Literal["json"],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: CachedCall[R],
        fetch: Callable[..., Any],
        *,
        name: str | None = None,
        holds_secrets: bool = False,
        iam_actions: Sequence[str] = (),
        iam_resources: Sequence[str] = ("*",),
        transform: Callable[[Any], R],
        **options: Unpack[AgeOptions],
    ) -> None: ...
    def __init__(
        self,
        fetch: Callable[..., Any],
        *,
        name: str | None = None,
        holds_secrets: bool = False,
        iam_actions: Sequence[str] = (),
        iam_resources: Sequence[str] = ("*",),
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ConfigurationError(f"name must be a non-empty str, not {name!r}")
        if not isinstance(holds_secrets, bool):
            raise ConfigurationError(f"holds_secrets must be True or False, not {holds_secrets!r}")
        self._call_name = name
        self._holds_secrets = holds_secrets
        self._iam = (_actions(iam_actions), _resources(iam_resources))
        if options.get("shared") and name is None and "<lambda>" in _qualified(fetch):
            raise ConfigurationError(
                "shared=True needs a name= for a lambda: it names the value across processes"
            )
        super().__init__(fetch, transform=transform, **options)

    def _define(self, value: Any) -> None:
        if not callable(value):
            raise ConfigurationError(f"fetch must be a callable, not {type(value).__name__}")
        self._fetch_function = value

    @property
    def holds_secrets(self) -> bool:  # type: ignore[override]
        """As given: whether the value is a secret (never shared unless `shared=True`)."""
        return self._holds_secrets

    @property
    def name(self) -> str:
        """How messages and the shared tier name the value."""
        self.resolve()
        return self._describe()

    def _describe(self) -> str:
        return self._call_name or _qualified(self._fetch_function)

    def _arguments(self) -> dict[str, Any]:
        return {
            "name": self._call_name,
            "holds_secrets": self._holds_secrets,
            "iam_actions": self._iam[0],
            "iam_resources": self._iam[1],
        }

    def shared_tier(self) -> SharedValue | None:
        """Only with `shared=True`: no rule can know that a value is JSON-safe and public."""
        if not self.shared:
            return None
        return super().shared_tier()

    def resolve_client(self) -> Any:
        """The client as given, a provider of one resolved now, or None (the call takes none)."""
        client = self.client
        if not providers.is_provider(client):
            return client
        try:
            return client()
        except LambdaCacheError:
            raise
        except Exception as exc:
            raise FetchError(
                f"no client for {self.describe()}: resolving it raised {type(exc).__name__}"
            ) from exc

    def _fetch_with(self, client: Any) -> Any:
        return call(self._fetch_function, client, self._describe(), chain=not self._holds_secrets)

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """The `iam_actions` given, on `iam_resources`; none given, none granted."""
        actions, resources = self._iam
        if not actions:
            return []
        sid = "Call" + "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", self.name))
        return [IamGrant(sid[:100], actions, resources)]


def _qualified(function: object) -> str:
    """`module.name` of a function (of the function inside a `functools.partial`)."""
    inner = getattr(function, "func", function)
    module = getattr(inner, "__module__", None) or ""
    name = getattr(inner, "__qualname__", None) or type(inner).__name__
    return f"{module}.{name}" if module else name
