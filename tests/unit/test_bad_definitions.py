"""Malformed definitions across all providers fail at construction, naming the argument first.

The per-provider modules test their own arguments; this table crosses the
options every cached provider shares with every provider, and adds the names,
ARNs and URIs those modules leave out. The properties pin how SSMParameters
and Secrets derive their result keys.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_cache_di import (
    ConfigurationError,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
)

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"

# One valid definition per provider, to which a bad shared option is added.
PROVIDERS: dict[str, Callable[..., Any]] = {
    "SSMParameter": lambda **options: SSMParameter("/app/var", **options),
    "SSMParameters": lambda **options: SSMParameters(["/app/a", "/app/b"], **options),
    "SSMParametersByPath": lambda **options: SSMParametersByPath("/app", **options),
    "Secret": lambda **options: Secret("app/db", **options),
    "Secrets": lambda **options: Secrets(["app/db", "app/api"], **options),
    "S3File": lambda **options: S3File("s3://app-bucket/model.json", **options),
}

# (option, bad value) pairs that no provider may accept.
BAD_SHARED_OPTIONS: list[tuple[str, Any]] = [
    ("max_age_in_seconds", float("inf")),
    ("max_age_in_seconds", True),
    ("stale_if_error_in_seconds", None),
    ("stale_if_error_in_seconds", float("-inf")),
    ("backoff_cap_in_seconds", -1),
    ("backoff_cap_in_seconds", "5"),
    ("max_age_in_seconds", 10**400),
    ("max_age_in_seconds", float("nan")),
    ("stale_if_error_in_seconds", 10**400),
    ("backoff_cap_in_seconds", 10**400),
    ("backoff_cap_in_seconds", -(10**400)),
    ("jitter", 10**400),
    ("jitter", -0.1),
    ("jitter", 1),
    ("client", 42),
    ("client", {"service": "ssm"}),
]

BAD_NAMES: list[tuple[Callable[[], Any], str]] = [
    (lambda: SSMParameter("/" + "a" * 1011), "name"),
    (lambda: SSMParameter("/app/var:label with space"), "name"),
    (lambda: SSMParameter("/app/var:1:2"), "name"),
    (lambda: SSMParameter(b"/app/var"), "name"),
    (lambda: SSMParameter("/app/var:\u00b2"), "name"),
    (lambda: SSMParameter("/app/var:\u0661"), "name"),
    (lambda: SSMParameters(["/app/a", "/app/b:\uff13"]), "names item"),
    (lambda: SSMParameters({"a": "/app/a", "b": "app/b"}), "names item"),
    (lambda: SSMParameters({1: "/app/a"}), "names key"),
    (lambda: SSMParameters(["/app/x:1", "/app/x:2"]), "names"),
    (lambda: SSMParameters({"a": "/app/a", "b": "/app/b:0"}), "names item"),
    (lambda: SSMParameters(42), "names"),
    (lambda: SSMParametersByPath(""), "path"),
    (lambda: SSMParametersByPath("/app//var"), "path"),
    (lambda: SSMParametersByPath("/app/var:1"), "path"),
    (lambda: Secret("arn:aws:secretsmanager:us-east-1:123:secret:app/db"), "secret_id"),
    (lambda: Secret("arn:aws:secretsmanager:us-east-1:123456789012:parameter:x"), "secret_id"),
    (lambda: Secret("a" * 513), "secret_id"),
    (lambda: Secret(ARN.replace("123456789012", "\u0661" * 12) + "app/db"), "secret_id"),
    (lambda: Secrets([ARN.replace("123456789012", "12345678901\u00b2") + "db"]), "ids item"),
    (lambda: Secret("app/db", version_stage=5), "version_stage"),
    (lambda: Secret("app/db", version_id="a" * 31), "version_id"),
    (lambda: Secret("app/db", version_id="a_" * 20), "version_id"),
    (lambda: Secret("app/db", transform="JSON"), "transform"),
    (lambda: Secrets({"db": ARN}), "ids item"),
    (lambda: Secrets([ARN + "prod/db-AbCdEf", ARN + "dev/db-GhIjKl"]), "ids"),
    (lambda: Secrets({"": "app/db"}), "ids key"),
    (lambda: Secrets(["app/db"], transform=42), "transform"),
    (lambda: S3File("s3://bucket/key", transform="json"), "transform"),
    (lambda: SSMParametersByPath("/app/", transform="json"), "transform"),
    (lambda: S3File("S3://app-bucket/model.json"), "uri"),
    (lambda: S3File("s3://xn--app-bucket/model.json"), "uri"),
    (lambda: S3File("s3://app-bucket-/model.json"), "uri"),
    (lambda: S3File("s3://app_bucket/model.json"), "uri"),
    (lambda: S3File("s3://app-bucket/models/v1/"), "uri"),
    (lambda: S3File("s3://app-bucket/model.json", local_path="/tmp/models/"), "local_path"),
    (lambda: S3File("s3://app-bucket/model.json", directory="/tmp/a\0b"), "directory"),
    (lambda: S3File("s3://app-bucket/model.json", directory="/tmp/" + "d" * 300), "directory"),
    (
        lambda: S3File("s3://app-bucket/model.json", check_before_download=None),
        "check_before_download",
    ),
]


class TestSharedOptions:
    """Every provider checks the options it shares with the others."""

    @pytest.mark.parametrize("provider", PROVIDERS, ids=str)
    @pytest.mark.parametrize(
        ("option", "value"), BAD_SHARED_OPTIONS, ids=lambda value: repr(value)[:20]
    )
    def test_bad_option(self, provider: str, option: str, value: Any) -> None:
        """The ConfigurationError's message starts with the option's name."""
        with pytest.raises(ConfigurationError) as caught:
            PROVIDERS[provider](**{option: value})
        assert str(caught.value).startswith(option)

    @pytest.mark.parametrize("provider", PROVIDERS, ids=str)
    def test_good_options(self, provider: str) -> None:
        """The limits themselves are accepted: zero ages and cap, jitter just under 1."""
        made = PROVIDERS[provider](
            max_age_in_seconds=0,
            stale_if_error_in_seconds=0,
            backoff_cap_in_seconds=0,
            jitter=0.999,
        )
        assert made.max_age_in_seconds == 0.0


class TestNames:
    """Names, ARNs, URIs and provider-specific arguments outside the per-provider tables."""

    @pytest.mark.parametrize(("make", "argument"), BAD_NAMES)
    def test_bad_definition(self, make: Callable[[], Any], argument: str) -> None:
        """The ConfigurationError's message starts with the argument's name and a space."""
        with pytest.raises(ConfigurationError) as caught:
            make()
        message = str(caught.value)
        assert message.startswith(argument)
        assert message[len(argument)] in " :"

    def test_the_table_is_large(self) -> None:
        """At least 30 malformed definitions, over every provider class."""
        assert len(BAD_NAMES) + len(BAD_SHARED_OPTIONS) * len(PROVIDERS) >= 30
        assert len(BAD_NAMES) >= 30


SEGMENT = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=12)
SECRET_SEGMENT = st.text(string.ascii_letters + string.digits + "_+=.@-", min_size=1, max_size=12)
SUFFIX = st.text(string.ascii_letters + string.digits, min_size=6, max_size=6)


@st.composite
def parameter_paths(draw: st.DrawFn) -> list[str]:
    """Distinct hierarchical names whose last segments are distinct too."""
    keys = draw(st.lists(SEGMENT, min_size=1, max_size=12, unique=True))
    return [
        "/"
        + "/".join([*draw(st.lists(SEGMENT, max_size=3)), key])
        + draw(st.sampled_from(["", ":1", ":live"]))
        for key in keys
    ]


class TestKeyDerivation:
    """How SSMParameters and Secrets name their results."""

    @given(parameter_paths())
    def test_parameter_keys_are_last_segments_without_selectors(self, names: list[str]) -> None:
        """Each name is keyed by its last path segment, in the order given."""
        provider = SSMParameters(names)
        keys = [name.rsplit("/", 1)[-1].partition(":")[0] for name in names]
        assert list(provider.names) == keys
        assert [name.full for name in provider.names.values()] == names

    @given(parameter_paths(), SEGMENT)
    def test_parameter_key_collisions_are_refused(self, names: list[str], prefix: str) -> None:
        """Adding the same last segment under another folder raises, naming `names`."""
        clash = "/" + prefix + "-other/" + names[0].rsplit("/", 1)[-1].partition(":")[0]
        with pytest.raises(ConfigurationError) as caught:
            SSMParameters([*names, clash])
        assert str(caught.value).startswith("names: more than one entry")

    @given(st.lists(SEGMENT, min_size=1, max_size=12, unique=True))
    def test_a_mapping_keeps_its_keys(self, keys: list[str]) -> None:
        """With a mapping, even identical names under different keys are allowed."""
        provider = SSMParameters({key: "/app/same" for key in keys})
        assert list(provider.names) == keys

    @given(
        st.lists(SECRET_SEGMENT, min_size=1, max_size=3),
        SECRET_SEGMENT,
        SUFFIX,
        st.booleans(),
    )
    def test_secret_keys_drop_the_arn_suffix(
        self, folders: list[str], key: str, suffix: str, as_arn: bool
    ) -> None:
        """A name and its complete ARN give the same key: the last segment of the name."""
        name = "/".join([*folders, key])
        ident = f"{ARN}{name}-{suffix}" if as_arn else name
        assert list(Secrets([ident]).ids) == [key]
        assert Secrets([ident]).ids[key].id == ident

    @given(st.lists(SECRET_SEGMENT, min_size=2, max_size=10, unique=True), SUFFIX)
    def test_secret_name_and_arn_of_one_key_collide(self, keys: list[str], suffix: str) -> None:
        """A complete ARN whose name ends like another id's key is refused, naming `ids`."""
        ids = [f"app/{key}" for key in keys]
        with pytest.raises(ConfigurationError) as caught:
            Secrets([*ids, f"{ARN}other/{keys[-1]}-{suffix}"])
        assert str(caught.value).startswith("ids: more than one entry")
