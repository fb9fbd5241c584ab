"""Parsing of names, paths, secret ids and S3 URIs: examples and Hypothesis properties."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_cache_di.core.names import (
    ParameterName,
    S3Location,
    parse_parameter_name,
    parse_parameter_path,
    parse_s3_uri,
    parse_secret_id,
)
from lambda_cache_di.errors import ConfigurationError
from lambda_cache_di.providers.arguments import check_seconds

SEGMENT = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=20)
LABEL = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,20}", fullmatch=True)
BUCKET = st.from_regex(r"[a-z0-9][a-z0-9\-]{1,30}[a-z0-9]", fullmatch=True)


@st.composite
def parameter_names(draw: st.DrawFn) -> str:
    segments = draw(st.lists(SEGMENT, min_size=1, max_size=5))
    name = "/" + "/".join(segments) if draw(st.booleans()) or len(segments) > 1 else segments[0]
    selector = draw(st.one_of(st.none(), st.integers(1, 999).map(str), LABEL))
    return name if selector is None else f"{name}:{selector}"


class TestParameterNames:
    """SSM names with and without selectors."""

    def test_examples(self):
        """Version and label selectors are split off; the key is the last segment."""
        assert parse_parameter_name("/a/b:3") == ParameterName("/a/b", "3")
        assert parse_parameter_name("/a/b:live").key == "b"
        assert parse_parameter_name("plain").full == "plain"

    @given(parameter_names())
    def test_valid_names_round_trip(self, text):
        """Any valid name parses, and `full` gives back exactly the input."""
        parsed = parse_parameter_name(text)
        assert parsed.full == text
        assert parsed.key == parsed.name.rsplit("/", 1)[-1]
        assert ":" not in parsed.key

    @given(st.text(max_size=60))
    def test_any_text_parses_or_is_refused_cleanly(self, text):
        """Arbitrary text either parses to a name that round-trips or raises ConfigurationError."""
        try:
            parsed = parse_parameter_name(text)
        except ConfigurationError as exc:
            assert str(exc).startswith("name")
        else:
            assert parsed.full == text

    def test_paths_end_with_a_slash(self):
        """A by-path prefix is normalised to end in '/'."""
        assert parse_parameter_path("/svc/config") == "/svc/config/"
        assert parse_parameter_path("/") == "/"


class TestAsciiDigits:
    """Selectors and ARN accounts take ASCII digits only, whatever Unicode calls a digit."""

    @pytest.mark.parametrize("digit", ["\u00b2", "\u0661", "\uff13", "\u0967", "\U0001d7d9"])
    def test_unicode_digit_selector_is_refused(self, digit):
        """`name:²` and other non-ASCII digits raise ConfigurationError naming `name`."""
        with pytest.raises(ConfigurationError) as caught:
            parse_parameter_name(f"/app/var:{digit}")
        assert str(caught.value).startswith("name ")

    @pytest.mark.parametrize("digit", ["\u00b2", "\u0661", "\uff13"])
    def test_unicode_digit_account_is_refused(self, digit):
        """An ARN whose account holds a non-ASCII digit is not a secret ARN."""
        arn = f"arn:aws:secretsmanager:us-east-1:12345678901{digit}:secret:app/db"
        with pytest.raises(ConfigurationError) as caught:
            parse_secret_id(arn)
        assert str(caught.value).startswith("secret_id ")

    @given(st.characters(categories=("Nd", "No")).filter(lambda c: c.isdigit() and not c.isascii()))
    def test_any_non_ascii_digit_is_refused(self, digit):
        """Every character that `str.isdigit` accepts outside 0-9 is refused as a version."""
        with pytest.raises(ConfigurationError):
            parse_parameter_name(f"/app/var:{digit}")

    def test_ascii_versions_still_parse(self):
        """`name:12` keeps its version selector."""
        assert parse_parameter_name("/app/var:12") == ParameterName("/app/var", "12")


class TestSeconds:
    """Ages are finite numbers of seconds that fit in a float."""

    @pytest.mark.parametrize("value", [10**400, -(10**400), float("inf"), float("nan"), -1])
    def test_bad_ages_are_configuration_errors(self, value):
        """A huge int, an infinity, NaN or a negative age raises ConfigurationError naming it."""
        with pytest.raises(ConfigurationError) as caught:
            check_seconds(value, "max_age_in_seconds")
        assert str(caught.value).startswith("max_age_in_seconds ")
        assert len(str(caught.value)) < 100

    def test_large_ints_that_fit_are_accepted(self):
        """10**300 seconds fits in a float and is accepted as such."""
        assert check_seconds(10**300, "max_age_in_seconds") == 1e300


class TestSecretIds:
    """Secret names, partial ARNs and complete ARNs."""

    ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"

    def test_complete_arn_key_drops_the_suffix(self):
        """The six random characters AWS appends are not part of the key."""
        assert parse_secret_id(self.ARN + "/prod/db-AbC123").key == "db"

    def test_partial_arn_and_name(self):
        """A partial ARN and a name both key by their last segment."""
        assert parse_secret_id(self.ARN + "/prod/db").key == "db"
        assert parse_secret_id("/prod/db").key == "db"
        assert parse_secret_id("/prod/db").is_arn is False

    @given(st.text(max_size=80))
    def test_any_text_parses_or_is_refused_cleanly(self, text):
        """Arbitrary text either parses (keeping the id as given) or raises ConfigurationError."""
        try:
            parsed = parse_secret_id(text)
        except ConfigurationError as exc:
            assert str(exc).startswith("secret_id")
        else:
            assert parsed.id == text


class TestS3Uris:
    """s3://bucket/key URIs."""

    @given(BUCKET, st.text(min_size=1, max_size=100).filter(lambda key: not key.endswith("/")))
    def test_valid_uris_round_trip(self, bucket, key):
        """Any valid bucket and object key parse back to the same URI."""
        if ".." in bucket or len(key.encode()) > 1024:
            return
        location = parse_s3_uri(f"s3://{bucket}/{key}")
        assert location == S3Location(bucket, key)
        assert location.uri == f"s3://{bucket}/{key}"

    @given(st.text(max_size=80))
    def test_any_text_parses_or_is_refused_cleanly(self, text):
        """Arbitrary text either is a valid URI or raises ConfigurationError naming `uri`."""
        try:
            location = parse_s3_uri(text)
        except ConfigurationError as exc:
            assert str(exc).startswith("uri")
        else:
            assert location.uri == text

    @pytest.mark.parametrize(
        "uri",
        [
            "s3:/b/k",
            "http://bucket/key",
            "s3:///key",
            "s3://Bucket/key",
            "s3://bucket",
            "s3://bucket/",
            "s3://bucket/dir/",
            "s3://ab/key",
            "s3://192.168.1.1/key",
            "s3://bucket..x/key",
            "s3://-bucket/key",
        ],
    )
    def test_bad_uris(self, uri):
        """Malformed URIs are refused."""
        with pytest.raises(ConfigurationError):
            parse_s3_uri(uri)
