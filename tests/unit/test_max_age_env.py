"""`LAMBDA_CACHE_DI_MAX_AGE`: the default max age of every provider, read at construction."""

from __future__ import annotations

import pytest

from lambda_cache_di import ConfigurationError, S3File, Secret, Secrets, SSMParameter
from lambda_cache_di.core.environment import MAX_AGE_VARIABLE
from lambda_cache_di.providers.arguments import DEFAULT_MAX_AGE_SECONDS


def test_without_the_variable_the_default_is_a_minute(monkeypatch):
    """Unset, providers keep values for 60 seconds."""
    monkeypatch.delenv(MAX_AGE_VARIABLE, raising=False)
    assert DEFAULT_MAX_AGE_SECONDS == 60.0
    assert SSMParameter("/a").max_age_in_seconds == 60.0


def test_blank_variable_means_the_default(monkeypatch):
    """An empty or blank value is treated as unset."""
    monkeypatch.setenv(MAX_AGE_VARIABLE, "  ")
    assert SSMParameter("/a").max_age_in_seconds == 60.0


def test_variable_sets_the_default_of_every_provider(monkeypatch):
    """Each provider kind takes its default max age from the variable."""
    monkeypatch.setenv(MAX_AGE_VARIABLE, "300")
    ages = [
        SSMParameter("/a").max_age_in_seconds,
        Secret("/s").max_age_in_seconds,
        Secrets(["/s1", "/s2"]).max_age_in_seconds,
        S3File("s3://bucket/key").max_age_in_seconds,
    ]
    assert ages == [300.0, 300.0, 300.0, 300.0]


def test_fractions_and_zero_are_accepted(monkeypatch):
    """Fractional seconds and 0 (fetch on every call) are valid."""
    monkeypatch.setenv(MAX_AGE_VARIABLE, "0.5")
    assert SSMParameter("/a").max_age_in_seconds == 0.5
    monkeypatch.setenv(MAX_AGE_VARIABLE, "0")
    assert SSMParameter("/a").max_age_in_seconds == 0.0


def test_explicit_argument_wins(monkeypatch):
    """`max_age_in_seconds=` given to the provider overrides the variable."""
    monkeypatch.setenv(MAX_AGE_VARIABLE, "300")
    assert SSMParameter("/a", max_age_in_seconds=5).max_age_in_seconds == 5.0


def test_explicit_argument_wins_over_a_bad_variable(monkeypatch):
    """A bad variable is not even read when every provider gives its own max age."""
    monkeypatch.setenv(MAX_AGE_VARIABLE, "soon")
    assert SSMParameter("/a", max_age_in_seconds=5).max_age_in_seconds == 5.0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("soon", "LAMBDA_CACHE_DI_MAX_AGE='soon' is not a number"),
        ("-1", "LAMBDA_CACHE_DI_MAX_AGE must be finite and >= 0, not -1.0"),
        ("inf", "LAMBDA_CACHE_DI_MAX_AGE must be finite and >= 0, not inf"),
        ("nan", "LAMBDA_CACHE_DI_MAX_AGE must be finite and >= 0, not nan"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, raw, message):
    """A value that is not a finite, non-negative number raises ConfigurationError naming it."""
    monkeypatch.setenv(MAX_AGE_VARIABLE, raw)
    with pytest.raises(ConfigurationError) as caught:
        SSMParameter("/a")
    assert str(caught.value) == message


def test_copies_keep_the_age_they_were_built_with(monkeypatch):
    """A container instance made after the variable changed keeps the declared age."""
    from dependency_injector import containers

    monkeypatch.setenv(MAX_AGE_VARIABLE, "300")

    class App(containers.DeclarativeContainer):
        value = SSMParameter("/a")

    monkeypatch.setenv(MAX_AGE_VARIABLE, "10")
    assert App().value.max_age_in_seconds == 300.0
