"""Concurrent groups over HTTP: through the fault proxy with latency, a group's calls overlap.

No timing is asserted here (the machine may be loaded); the proxy counts the
requests it handles at once. The timings are in `python -m benchmarks.groups`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lambda_cache_di import FetchError, NotFoundError, Secrets, SSMParameters

from .proxy import Fault, FaultProxy

LATENCY = 0.15  # seconds added to every relayed request
PARAMETERS = [f"/groups/p{number:02}" for number in range(25)]
SECRETS = [f"groups/s{number:02}" for number in range(45)]


def seed_parameters(direct: Callable[[str], Any]) -> None:
    ssm = direct("ssm")
    for name in PARAMETERS:
        ssm.put_parameter(Name=name, Value=f"value-{name}", Type="SecureString")


def seed_secrets(direct: Callable[[str], Any]) -> None:
    secretsmanager = direct("secretsmanager")
    for name in SECRETS:
        secretsmanager.create_secret(Name=name, SecretString=f"secret-{name}")


def test_25_parameters_in_three_overlapping_calls(direct, proxied, proxy: FaultProxy):
    """A refresh of 25 names sends 3 GetParameters calls that are in flight together."""
    seed_parameters(direct)
    group = SSMParameters(PARAMETERS, client=proxied("ssm"))
    proxy.latency_seconds = LATENCY
    proxy.reset_counts()
    values = group.refresh()
    assert values == {name.rsplit("/", 1)[1]: f"value-{name}" for name in PARAMETERS}
    assert proxy.counts == {"AmazonSSM.GetParameters": 3}
    assert proxy.max_in_flight >= 2


def test_45_secrets_in_three_overlapping_calls(direct, proxied, proxy: FaultProxy):
    """A refresh of 45 ids sends 3 BatchGetSecretValue calls that are in flight together."""
    seed_secrets(direct)
    group = Secrets(SECRETS, client=proxied("secretsmanager"))
    proxy.latency_seconds = LATENCY
    proxy.reset_counts()
    values = group.refresh()
    assert values == {name.rsplit("/", 1)[1]: f"secret-{name}" for name in SECRETS}
    assert proxy.counts == {"secretsmanager.BatchGetSecretValue": 3}
    assert proxy.max_in_flight >= 2


def test_one_throttled_call_fails_the_refresh_and_keeps_the_old_value(
    direct, proxied, proxy: FaultProxy
):
    """One of three calls throttled: the refresh raises, the cached dict stays as it was."""
    seed_parameters(direct)
    group = SSMParameters(PARAMETERS, client=proxied("ssm"))
    before = group()
    proxy.queue(Fault.CLEAR, Fault.THROTTLE)
    with pytest.raises(FetchError) as caught:
        group.refresh()
    assert caught.value.transient is True
    assert str(caught.value).startswith("GetParameters failed for /groups/p")
    assert group() == before
    assert proxy.counts == {"AmazonSSM.GetParameters": 6}


def test_missing_names_of_different_calls_in_one_error(direct, proxied, proxy: FaultProxy):
    """Names missing from the first and the last call are all in one NotFoundError."""
    seed_parameters(direct)
    names = ["/groups/gone-a", *PARAMETERS, "/groups/gone-z"]
    group = SSMParameters(names, client=proxied("ssm"))
    with pytest.raises(NotFoundError) as caught:
        group()
    assert caught.value.names == ("/groups/gone-a", "/groups/gone-z")
