"""The SSM example handlers, against the moto server and with providers overridden by fakes."""

from __future__ import annotations

import pytest

from lambda_cache_di import set_clock
from lambda_cache_di.testing import FakeClock


@pytest.fixture
def ssm(aws_client):
    client = aws_client("ssm")
    for name, value in {
        "/production/app/var": "production-value",
        "/production/app/var1": "value-1",
        "/production/app/var2": "value-2",
        "/prod/var": "prod-value",
        "/app/var1": "a1",
        "/app/var2": "a2",
        "/prod/orders/table": "orders-prod",
        "/dev/orders/table": "orders-dev",
    }.items():
        client.put_parameter(Name=name, Value=value, Type="String")
    client.put_parameter(Name="/app/hosts", Value="h1,h2", Type="StringList")
    return client


def update(ssm, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


class TestAgainstMoto:
    """Each handler module imported at a cold start and invoked against moto."""

    def test_single_parameter(self, cold_start, ssm):
        """The value is injected and kept within the default minute."""
        module = cold_start("examples.ssm_single_parameter")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"var": "production-value"}
        update(ssm, "/production/app/var", "new")
        clock.tick(14)  # a first value lives at least a quarter of its max age
        assert module.handler({}, None) == {"var": "production-value"}
        clock.tick(46)  # 60 s: expired whatever the spread
        assert module.handler({}, None) == {"var": "new"}

    def test_longer_max_age(self, cold_start, ssm):
        """A five-minute max age keeps a first value for 75 to 300 s."""
        module = cold_start("examples.ssm_longer_max_age")
        clock = FakeClock()
        set_clock(module.container, clock)
        assert module.handler({}, None) == {"var": "production-value"}
        update(ssm, "/production/app/var", "new")
        clock.tick(74)  # a first value lives at least a quarter of its max age
        assert module.handler({}, None) == {"var": "production-value"}
        clock.tick(226)  # 300 s: expired whatever the spread
        assert module.handler({}, None) == {"var": "new"}

    def test_parameter_group(self, cold_start, ssm):
        """Several parameters arrive as dicts; a StringList as a list; keys as chosen."""
        module = cold_start("examples.ssm_parameter_group")
        assert module.handler({}, None) == {
            "var1": "a1",
            "var2": "a2",
            "hosts": ["h1", "h2"],
            "table": "orders-prod",
        }
        assert module.handler({"stage": "dev"}, None)["table"] == "orders-dev"
        assert module.container.settings.stats.misses == 1

    def test_different_ages(self, cold_start, ssm):
        """After 30 s var1 is fetched again; after 60 s var2 too."""
        module = cold_start("examples.ssm_different_ages")
        clock = FakeClock()
        set_clock(module.container, clock)
        module.handler({}, None)
        update(ssm, "/production/app/var1", "new-1")
        update(ssm, "/production/app/var2", "new-2")
        clock.tick(30)
        # var2's first value (max age 60 s) lives 15-60 s: it may or may not be new.
        assert module.handler({}, None)["var1"] == "new-1"
        clock.tick(30)
        assert module.handler({}, None) == {"var1": "new-1", "var2": "new-2"}

    def test_forced_refresh(self, cold_start, ssm):
        """`refresh` in the event makes the handler read the parameter again at once."""
        module = cold_start("examples.ssm_forced_refresh")
        assert module.handler({}, None) == {"var": "prod-value"}
        update(ssm, "/prod/var", "rotated")
        assert module.handler({}, None) == {"var": "prod-value"}
        assert module.handler({"refresh": True}, None) == {"var": "rotated"}
        assert module.handler({}, None) == {"var": "rotated"}


class TestWithFakes:
    """The same handlers with providers overridden: no AWS at all."""

    def test_single_parameter(self, cold_start):
        """An overridden provider hands the fake to the handler."""
        module = cold_start("examples.ssm_single_parameter")
        with module.container.app_var.override("fake"):
            assert module.handler({}, None) == {"var": "fake"}
        assert module.container.app_var.stats.misses == 0

    def test_longer_max_age(self, cold_start):
        """Overriding works for any max age."""
        module = cold_start("examples.ssm_longer_max_age")
        with module.container.app_var.override("fake"):
            assert module.handler({}, None) == {"var": "fake"}

    def test_parameter_group(self, cold_start):
        """A dict provider is overridden by a dict."""
        module = cold_start("examples.ssm_parameter_group")
        module.container.override_providers(
            settings={"var1": "x", "var2": "y", "hosts": ["z"]},
            tables={"orders": "t", "orders_dev": "td"},
        )
        try:
            assert module.handler({"stage": "dev"}, None) == {
                "var1": "x",
                "var2": "y",
                "hosts": ["z"],
                "table": "td",
            }
        finally:
            module.container.reset_override()

    def test_different_ages(self, cold_start):
        """Each provider is overridden on its own."""
        module = cold_start("examples.ssm_different_ages")
        with module.container.var1.override("f1"), module.container.var2.override("f2"):
            assert module.handler({}, None) == {"var1": "f1", "var2": "f2"}

    def test_forced_refresh(self, cold_start):
        """The injected provider is the overridable one; without refresh the fake is used."""
        module = cold_start("examples.ssm_forced_refresh")
        with module.container.var.override("fake"):
            assert module.handler({}, None) == {"var": "fake"}


class TestByPathAndClientConfig:
    """The by-path example and the client Config override example."""

    def test_by_path_against_moto(self, cold_start, ssm):
        """Nested names are keyed relative to the path; recursive=False keeps direct children."""
        for name, value in {
            "/svc/config/db/host": "db.internal",
            "/svc/config/db/port": "5432",
            "/svc/flags/beta": "on",
            "/svc/flags/old/gamma": "off",
        }.items():
            ssm.put_parameter(Name=name, Value=value, Type="String")
        module = cold_start("examples.ssm_by_path")
        assert module.handler({}, None) == {"db": "db.internal:5432", "flags": ["beta"]}

    def test_by_path_with_fakes(self, cold_start):
        """Both path providers are overridden by plain dicts."""
        module = cold_start("examples.ssm_by_path")
        with (
            module.container.config.override({"db/host": "h", "db/port": "1"}),
            module.container.flags.override({"x": "on"}),
        ):
            assert module.handler({}, None) == {"db": "h:1", "flags": ["x"]}

    def test_client_config_override(self, cold_start, ssm):
        """The lazily created client carries the overriding Config and still fetches."""
        module = cold_start("examples.ssm_client_config")
        assert module.handler({}, None) == {"var": "production-value"}
        client = module.container.app_var.resolve_client()
        assert client.meta.config.read_timeout == 10
        assert client.meta.config.connect_timeout == 2
