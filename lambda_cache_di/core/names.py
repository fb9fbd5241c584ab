"""Parsing and checking of what users name: parameters, paths, secrets, S3 URIs, ages.

Standard library only, so that providers can reject a bad definition when they
are constructed (at import of the container module), long before a fetch.
Every error names the argument that is wrong; none repeats more than the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol, TypeVar

from ..errors import ConfigurationError

_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.\-/]{1,1011}")
_PARAMETER_LABEL = re.compile(r"[A-Za-z_.\-][A-Za-z0-9_.\-]{0,99}")
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@\-]{1,512}")
_SECRET_ARN = re.compile(
    r"arn:aws[a-z\-]*:secretsmanager:[a-z0-9\-]+:[0-9]{12}:secret:(?P<name>[A-Za-z0-9/_+=.@\-]{1,512})"
)
# AWS appends "-" and six random characters to a secret's name in its ARN.
_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
# ASCII digits only: str.isdigit() and `\d` take "²" or Arabic-Indic digits too.
_VERSION = re.compile(r"[0-9]+")


class ParameterName(NamedTuple):
    """An SSM parameter name with an optional `:version` or `:label` selector."""

    name: str
    selector: str | None = None

    @property
    def full(self) -> str:
        """The name as the API takes it, selector included."""
        return self.name if self.selector is None else f"{self.name}:{self.selector}"

    @property
    def key(self) -> str:
        """The last path segment, selector removed: the default result key."""
        return self.name.rsplit("/", 1)[-1]


class SecretId(NamedTuple):
    """A secret name or ARN as given, with the key a group result uses by default."""

    id: str
    name: str

    @property
    def is_arn(self) -> bool:
        """Whether the secret was given as an ARN rather than a name."""
        return self.id.startswith("arn:")

    @property
    def key(self) -> str:
        """The last path segment of the secret's name: the default result key."""
        return self.name.rsplit("/", 1)[-1]


class S3Location(NamedTuple):
    """A bucket and an object key."""

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        """The location as an `s3://bucket/key` URI."""
        return f"s3://{self.bucket}/{self.key}"


def _require_text(value: object, argument: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{argument} must be a str, not {type(value).__name__}")
    if not value:
        raise ConfigurationError(f"{argument} must not be empty")
    return value


def _check_hierarchy(name: str, argument: str) -> None:
    if "/" in name and not name.startswith("/"):
        raise ConfigurationError(f"{argument} {name!r}: a hierarchical name must start with '/'")
    if "//" in name:
        raise ConfigurationError(f"{argument} {name!r} contains an empty path segment")


def parse_parameter_name(value: object, argument: str = "name") -> ParameterName:
    """Parse `/path/name`, `/path/name:3` or `/path/name:label`."""
    text = _require_text(value, argument)
    name, sep, selector = text.partition(":")
    if sep and not selector:
        raise ConfigurationError(f"{argument} {text!r} has an empty selector after ':'")
    if not _PARAMETER_NAME.fullmatch(name) or name.endswith("/"):
        raise ConfigurationError(
            f"{argument} {text!r} is not a valid parameter name "
            "(letters, digits and _ . - / only, not ending in '/')"
        )
    _check_hierarchy(name, argument)
    if sep:
        if _VERSION.fullmatch(selector):
            if int(selector) < 1:
                raise ConfigurationError(f"{argument} {text!r}: versions start at 1")
        elif not _PARAMETER_LABEL.fullmatch(selector):
            raise ConfigurationError(
                f"{argument} {text!r}: selector must be a version number or a label"
            )
    return ParameterName(name, selector or None)


def parse_parameter_path(value: object, argument: str = "path") -> str:
    """Check a GetParametersByPath prefix and return it ending in '/'."""
    text = _require_text(value, argument)
    if not text.startswith("/") or not _PARAMETER_NAME.fullmatch(text):
        raise ConfigurationError(
            f"{argument} {text!r} must start with '/' and hold only letters, digits and _ . - /"
        )
    if "//" in text:
        raise ConfigurationError(f"{argument} {text!r} contains an empty path segment")
    return text if text.endswith("/") else text + "/"


def parse_secret_id(value: object, argument: str = "secret_id") -> SecretId:
    """Parse a secret name, a partial ARN or a complete ARN."""
    text = _require_text(value, argument)
    if text.startswith("arn:"):
        match = _SECRET_ARN.fullmatch(text)
        if match is None:
            raise ConfigurationError(f"{argument} {text!r} is not a Secrets Manager secret ARN")
        return SecretId(text, strip_arn_suffix(match["name"]))
    if not _SECRET_NAME.fullmatch(text):
        raise ConfigurationError(
            f"{argument} {text!r} is not a valid secret name "
            "(1-512 of letters, digits and / _ + = . @ -)"
        )
    return SecretId(text, text)


def strip_arn_suffix(text: str) -> str:
    """`text` without the "-" and six characters AWS appends to a secret's name in its ARN.

    A partial ARN whose name itself ends that way cannot be told apart from a
    complete one: such names lose their last part here (AWS advises against them).
    """
    return _ARN_SUFFIX.sub("", text)


def has_arn_suffix(text: str) -> bool:
    """Whether `text` ends like a complete secret ARN (or a name that merely looks like one)."""
    return _ARN_SUFFIX.search(text) is not None


def parse_s3_uri(value: object, argument: str = "uri") -> S3Location:
    """Parse `s3://bucket/key`; the key must name an object, not a folder."""
    text = _require_text(value, argument)
    if not text.startswith("s3://"):
        raise ConfigurationError(f"{argument} {text!r} must start with 's3://'")
    bucket, sep, key = text[len("s3://") :].partition("/")
    if not bucket:
        raise ConfigurationError(f"{argument} {text!r} has no bucket")
    if (
        not _BUCKET.fullmatch(bucket)
        or ".." in bucket
        or _IPV4.fullmatch(bucket)
        or bucket.startswith("xn--")
    ):
        raise ConfigurationError(f"{argument} {text!r}: {bucket!r} is not a valid bucket name")
    if not sep or not key:
        raise ConfigurationError(f"{argument} {text!r} has no object key")
    if key.endswith("/"):
        raise ConfigurationError(f"{argument} {text!r} names a folder (key ends with '/')")
    if len(key.encode("utf-8")) > 1024:
        raise ConfigurationError(f"{argument} {text!r}: key is longer than 1024 bytes")
    return S3Location(bucket, key)


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=_Keyed)


def keyed(
    items: Sequence[str] | Mapping[str, str], parse: Callable[[object, str], K], argument: str
) -> dict[str, K]:
    """Parse a list of identifiers or a `{key: identifier}` mapping into `{result key: parsed}`.

    List items are keyed by their own `.key` (the last path segment); two
    identifiers that would share a key are refused, naming the key.
    """
    if isinstance(items, Mapping):
        pairs = [(_require_text(key, f"{argument} key"), ident) for key, ident in items.items()]
        parsed = [(key, parse(ident, f"{argument} item")) for key, ident in pairs]
    elif isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ConfigurationError(
            f"{argument} must be a list of identifiers or a mapping {{key: identifier}}, "
            f"not {type(items).__name__}"
        )
    else:
        parsed = [(item.key, item) for item in (parse(i, f"{argument} item") for i in items)]
    if not parsed:
        raise ConfigurationError(f"{argument} must not be empty")
    seen: set[str] = set()
    duplicates: set[str] = set()
    for key, _ in parsed:
        (duplicates if key in seen else seen).add(key)
    if duplicates:
        raise ConfigurationError(
            f"{argument}: more than one entry would be returned under key(s) "
            f"{', '.join(map(repr, sorted(duplicates)))}; "
            "pass a mapping {key: name} to choose the keys"
        )
    return dict(parsed)
