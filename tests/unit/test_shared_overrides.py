"""A provider's shared key follows the client each fetch uses, through overrides (issue 22)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from dependency_injector import providers

from lambda_cache_di import SSMParameter
from lambda_cache_di.testing import FakeClock


class Frozen:
    """What botocore's credentials give: an access key id."""

    def __init__(self, access_key: str) -> None:
        self.access_key = access_key


class Credentials:
    def __init__(self, access_key: str) -> None:
        self._access_key = access_key

    def get_frozen_credentials(self) -> Frozen:
        return Frozen(self._access_key)


class Signer:
    def __init__(self, access_key: str) -> None:
        self._credentials = Credentials(access_key)


class AccountSSM:
    """An SSM client of one account: signs with its own key, answers with its own value."""

    def __init__(self, access_key: str, value: str) -> None:
        self._request_signer = Signer(access_key)
        self.value = value
        self.calls: Counter[str] = Counter()

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls["GetParameter"] += 1
        return {"Parameter": {"Name": Name, "Type": "String", "Value": self.value}}


@pytest.fixture
def sharing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sharing on; the autouse fixture already gives a private LAMBDA_CACHE_DI_DIR."""
    monkeypatch.setenv("LAMBDA_CACHE_DI_SHARED", "1")


def test_an_override_to_another_account_writes_under_that_account_key(sharing):
    """Overridden to another account's client, a provider never writes under the home key."""
    home = AccountSSM("AKIAHOME0000000000", "host-of-home")
    other = AccountSSM("AKIAOTHER000000000", "host-of-other")
    clock = FakeClock()
    parameter = SSMParameter(
        "/app/db-host", client=providers.Object(home), max_age_in_seconds=60, clock=clock
    )
    assert parameter() == "host-of-home"
    parameter.client.override(providers.Object(other))
    clock.tick(61)
    assert parameter() == "host-of-other"
    # A new process with the home client (and a longer max age, so the home record
    # written 61 s ago is fresh to it): its own account's value, not the other's.
    fresh_home = AccountSSM("AKIAHOME0000000000", "host-of-home-refetched")
    reader = SSMParameter("/app/db-host", client=fresh_home, max_age_in_seconds=600, clock=clock)
    assert reader() == "host-of-home"
    assert fresh_home.calls["GetParameter"] == 0
    # And one with the other account's client reads what the override wrote.
    fresh_other = AccountSSM("AKIAOTHER000000000", "host-of-other-refetched")
    assert SSMParameter("/app/db-host", client=fresh_other, clock=clock)() == "host-of-other"
    assert (home.calls["GetParameter"], other.calls["GetParameter"]) == (1, 1)
