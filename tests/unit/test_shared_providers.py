"""Cached providers and the shared tier: what is shared, and what the cache controls do to it.

Two provider instances naming one value stand for two processes: they meet
only through the shared folder, exactly as processes do.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lambda_cache_di import ConfigurationError, Secret, Secrets, SSMParameter, SSMParameters
from lambda_cache_di.testing import FakeClock

MARKER = "s3cr3t-MARKER-91aa"


class FakeSSM:
    """Answers GetParameter and GetParameters from a dict of name: (type, value); counts calls."""

    def __init__(self, parameters: dict[str, tuple[str, str]]) -> None:
        self.parameters = parameters
        self.calls: Counter[str] = Counter()

    def _parameter(self, name: str) -> dict[str, str]:
        kind, value = self.parameters[name]
        return {"Name": name, "Type": kind, "Value": value}

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls["GetParameter"] += 1
        return {"Parameter": self._parameter(Name)}

    def get_parameters(self, Names: list[str], WithDecryption: bool) -> dict[str, Any]:
        self.calls["GetParameters"] += 1
        return {"Parameters": [self._parameter(name) for name in Names]}


class FakeSecrets:
    """Answers GetSecretValue and BatchGetSecretValue with `MARKER`; counts calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def get_secret_value(self, SecretId: str, **_: str) -> dict[str, Any]:
        self.calls["GetSecretValue"] += 1
        return {"Name": SecretId, "ARN": "arn", "SecretString": MARKER}

    def batch_get_secret_value(self, SecretIdList: list[str]) -> dict[str, Any]:
        self.calls["BatchGetSecretValue"] += 1
        values = [{"Name": s, "ARN": f"arn:{s}", "SecretString": MARKER} for s in SecretIdList]
        return {"SecretValues": values, "Errors": []}


@pytest.fixture
def ssm() -> FakeSSM:
    return FakeSSM(
        {
            "/app/table": ("String", "orders"),
            "/app/list": ("StringList", "a,b"),
            "/app/password": ("SecureString", MARKER),
        }
    )


@pytest.fixture
def several(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a Lambda Managed Instance running 8 processes."""
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", "8")


def on_disk(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())


class TestWhatIsShared:
    """The auto rule per kind of value, and the provider's own say."""

    def test_string_parameters_are_shared(self, ssm: FakeSSM, several: None) -> None:
        """Two providers of one String parameter make one request between them."""
        clock = FakeClock()
        first = SSMParameter("/app/table", client=ssm, clock=clock)
        second = SSMParameter("/app/table", client=ssm, clock=clock)
        assert (first(), second()) == ("orders", "orders")
        assert ssm.calls == Counter({"GetParameter": 1})
        assert (first.stats.misses, second.stats.misses) == (1, 1)

    def test_age_counts_from_the_original_fetch(self, ssm: FakeSSM, several: None) -> None:
        """A value read from the store expires max age after the first fetch, not after the read."""
        clock = FakeClock()
        SSMParameter("/app/table", client=ssm, clock=clock, max_age_in_seconds=60)()
        clock.tick(50)
        late = SSMParameter("/app/table", client=ssm, clock=clock, max_age_in_seconds=60)
        late()
        assert late.age == 50
        clock.tick(10)
        late()
        assert ssm.calls == Counter({"GetParameter": 2})

    def test_not_shared_without_the_variable(self, ssm: FakeSSM, shared_folder: Path) -> None:
        """Without AWS_LAMBDA_MAX_CONCURRENCY each provider fetches and nothing is written."""
        clock = FakeClock()
        SSMParameter("/app/table", client=ssm, clock=clock)()
        SSMParameter("/app/table", client=ssm, clock=clock)()
        assert ssm.calls == Counter({"GetParameter": 2})
        assert list(shared_folder.iterdir()) == []

    def test_shared_false_never_shares(self, ssm: FakeSSM, several: None) -> None:
        """shared=False fetches for itself whatever the environment."""
        clock = FakeClock()
        SSMParameter("/app/table", client=ssm, clock=clock, shared=False)()
        SSMParameter("/app/table", client=ssm, clock=clock, shared=False)()
        assert ssm.calls == Counter({"GetParameter": 2})

    def test_secure_string_stays_off_disk(
        self, ssm: FakeSSM, several: None, shared_folder: Path
    ) -> None:
        """Under the auto rule a SecureString is fetched by each provider and never written."""
        clock = FakeClock()
        values = [SSMParameter("/app/password", client=ssm, clock=clock)() for _ in range(3)]
        assert values == [MARKER] * 3
        assert ssm.calls == Counter({"GetParameter": 3})
        assert MARKER.encode() not in on_disk(shared_folder)

    def test_group_with_a_secure_string_stays_off_disk(
        self, ssm: FakeSSM, several: None, shared_folder: Path
    ) -> None:
        """A group holding any SecureString is not written under the auto rule."""
        clock = FakeClock()
        names = ["/app/table", "/app/password"]
        for _ in range(2):
            assert SSMParameters(names, client=ssm, clock=clock)() == {
                "table": "orders",
                "password": MARKER,
            }
        assert ssm.calls == Counter({"GetParameters": 2})
        assert MARKER.encode() not in on_disk(shared_folder)

    def test_secure_string_shared_when_asked(
        self, ssm: FakeSSM, several: None, shared_folder: Path
    ) -> None:
        """shared=True writes a SecureString to the private folder and shares it."""
        clock = FakeClock()
        for _ in range(2):
            SSMParameter("/app/password", client=ssm, clock=clock, shared=True)()
        assert ssm.calls == Counter({"GetParameter": 1})
        assert MARKER.encode() in on_disk(shared_folder)

    def test_secrets_stay_in_memory(self, several: None, shared_folder: Path) -> None:
        """Secret and Secrets under the auto rule write nothing at all, not even a lock."""
        client = FakeSecrets()
        Secret("app/db", client=client)()
        Secrets(["app/a", "app/b"], client=client)()
        Secret("app/db", client=client)()
        assert client.calls == Counter({"GetSecretValue": 2, "BatchGetSecretValue": 1})
        assert list(shared_folder.iterdir()) == []

    def test_shared_secret_is_fetched_once(self, several: None, shared_folder: Path) -> None:
        """Secret(shared=True) is fetched once for all the providers naming it."""
        client = FakeSecrets()
        first = Secret("app/db", client=client, shared=True)
        second = Secret("app/db", client=client, shared=True)
        assert (first(), second()) == (MARKER, MARKER)
        assert client.calls == Counter({"GetSecretValue": 1})

    def test_list_comes_back_as_a_list(self, ssm: FakeSSM, several: None) -> None:
        """A StringList read from the store is the same list."""
        clock = FakeClock()
        SSMParameter("/app/list", client=ssm, clock=clock)()
        assert SSMParameter("/app/list", client=ssm, clock=clock)() == ["a", "b"]

    @pytest.mark.parametrize("value", ["yes", 1, 0])
    def test_bad_shared_is_refused(self, value: object) -> None:
        """shared takes None, True or False only, named in the error."""
        with pytest.raises(ConfigurationError, match="shared must be None, True or False"):
            SSMParameter("/app/table", shared=value)  # type: ignore[arg-type]

    def test_copies_keep_the_choice(self) -> None:
        """A deep copy (as a container instance makes) keeps shared=."""
        assert copy.deepcopy(SSMParameter("/app/table", shared=False)).shared is False


class TestControls:
    """invalidate, refresh and stats across the tier."""

    def test_invalidate_removes_the_shared_copy(self, ssm: FakeSSM, several: None) -> None:
        """After invalidate() the next provider fetches; another's memory copy lives to expiry."""
        clock = FakeClock()
        first = SSMParameter("/app/table", client=ssm, clock=clock)
        other = SSMParameter("/app/table", client=ssm, clock=clock)
        first()
        other()
        first.invalidate()
        other()
        assert ssm.calls == Counter({"GetParameter": 1})
        SSMParameter("/app/table", client=ssm, clock=clock)()
        assert ssm.calls == Counter({"GetParameter": 2})

    def test_refresh_rewrites_the_shared_copy(self, ssm: FakeSSM, several: None) -> None:
        """refresh() fetches even when fresh, and the next provider reads its value."""
        clock = FakeClock()
        first = SSMParameter("/app/table", client=ssm, clock=clock)
        first()
        ssm.parameters["/app/table"] = ("String", "orders-v2")
        clock.tick(5)
        assert first.refresh() == "orders-v2"
        late = SSMParameter("/app/table", client=ssm, clock=clock)
        assert (late(), late.age) == ("orders-v2", 0)
        assert ssm.calls == Counter({"GetParameter": 2})

    def test_refused_folder_fails_shared_providers_only(
        self, ssm: FakeSSM, several: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A squatted folder fails a shared provider (not transient) and spares a secret."""
        squat = tmp_path / "squat"
        squat.mkdir(mode=0o777)
        squat.chmod(0o777)
        monkeypatch.setenv("LAMBDA_CACHE_DI_DIR", str(squat))
        from lambda_cache_di import FetchError

        with pytest.raises(FetchError) as caught:
            SSMParameter("/app/table", client=ssm)()
        assert caught.value.transient is False
        assert str(caught.value).startswith(f"shared folder {squat} refused")
        assert ssm.calls == Counter()
        assert Secret("app/db", client=FakeSecrets())() == MARKER


def frame_values(error: BaseException) -> str:
    """The repr of every local of every frame in an error's traceback and its causes."""
    seen: list[str] = []
    link: BaseException | None = error
    while link is not None:
        traceback = link.__traceback__
        while traceback is not None:
            seen += [repr(value) for value in traceback.tb_frame.f_locals.values()]
            traceback = traceback.tb_next
        link = link.__cause__ or link.__context__
    return "\n".join(seen)


class TestSecretsInTracebacks:
    """A failed fetch of a shared secret leaves no value in its traceback frames."""

    def test_failed_refresh_of_a_shared_secret(self, several: None) -> None:
        """With a shared value on disk, a failing call or refresh holds none of it in its frames."""
        from lambda_cache_di import FetchError

        client, clock = FakeSecrets(), FakeClock()
        provider = Secret("app/db", client=client, shared=True, clock=clock)
        assert provider() == MARKER

        def fail(**_: str) -> dict[str, Any]:
            raise FetchError("GetSecretValue failed for app/db: Throttling", transient=True)

        client.get_secret_value = fail  # type: ignore[method-assign]
        clock.tick(60)  # the expired shared record is read, then the fetch fails
        for call in (provider, provider.refresh):
            with pytest.raises(FetchError) as caught:
                call()
            assert MARKER not in frame_values(caught.value)

    def test_failed_batch_with_a_shared_secret(self, several: None) -> None:
        """A batch that fails after reading a shared secret from disk holds none of it."""
        from lambda_cache_di.core.shared import batch_through_store

        client = FakeSecrets()
        provider = Secret("app/db", client=client, shared=True, clock=FakeClock())
        provider()
        tier = provider.shared_tier()
        assert tier is not None

        def fail(missing: list[Any]) -> Any:
            raise RuntimeError("batch failed")

        users = [("db", tier, None), ("other", None, None)]
        with pytest.raises(RuntimeError) as caught:
            batch_through_store(users, fail, FakeClock())
        assert MARKER not in frame_values(caught.value)


class TestPrefetch:
    """prefetch reads what another process fetched and fetches only what is missing."""

    def container(self, ssm: FakeSSM, secrets: FakeSecrets, clock: FakeClock) -> Any:
        from dependency_injector import containers

        class App(containers.DeclarativeContainer):
            table = SSMParameter("/app/table", client=ssm, clock=clock)
            items = SSMParameter("/app/list", client=ssm, clock=clock)
            db = Secret("app/db", client=secrets, clock=clock)
            token = Secret("app/token", client=secrets, clock=clock, shared=True)

        return App()

    def test_second_prefetch_reads_the_store(self, ssm: FakeSSM, several: None) -> None:
        """Two containers in turn: one GetParameters; the unshared secret fetched by each.

        The first batch reads both secrets; the second reads the shared one from
        the store and the other alone, with GetSecretValue (never a batch of one).
        """
        from lambda_cache_di import prefetch

        clock, secrets = FakeClock(), FakeSecrets()
        first, second = self.container(ssm, secrets, clock), self.container(ssm, secrets, clock)
        assert (prefetch(first), prefetch(second)) == ({}, {})
        assert ssm.calls == Counter({"GetParameters": 1})
        assert secrets.calls == Counter({"BatchGetSecretValue": 1, "GetSecretValue": 1})
        assert (second.table(), second.items(), second.token()) == ("orders", ["a", "b"], MARKER)
        assert ssm.calls == Counter({"GetParameters": 1})

    def test_missing_key_only_is_fetched(self, ssm: FakeSSM, several: None) -> None:
        """With one parameter of a group fresh in the store, the batch asks for the other alone."""
        from lambda_cache_di import prefetch

        clock, secrets = FakeClock(), FakeSecrets()
        SSMParameter("/app/table", client=ssm, clock=clock)()
        names: list[list[str]] = []
        fetch = ssm.get_parameters
        ssm.get_parameters = lambda Names, WithDecryption: (
            names.append(Names)
            or fetch(  # type: ignore[method-assign]
                Names, WithDecryption
            )
        )
        prefetch(self.container(ssm, secrets, clock))
        assert names == [["/app/list"]]
