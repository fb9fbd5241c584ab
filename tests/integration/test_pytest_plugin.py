"""The pytest plugin, exercised by a pytest run in a subprocess on a test file of a user's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from lambda_cache_di.testing import FAKE_AWS_ENVIRONMENT

REPOSITORY = Path(__file__).resolve().parents[2]

USER_TESTS = """
import os

import boto3
import pytest
from botocore.config import Config
from dependency_injector import containers

from lambda_cache_di import SSMParameter, set_clock
from lambda_cache_di.testing import FakeClock, LambdaContext


class App(containers.DeclarativeContainer):
    value = SSMParameter("/plugin/value", jitter=0)  # every age exact: the test ticks to 60 s


container = App()  # module level, as in a handler module: shared by every test here
CONTEXT_CLOCK = FakeClock()


def test_providers_without_client_talk_to_moto(moto_endpoint, fake_clock, invalidate_caches):
    invalidate_caches(container)
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint
    assert os.environ["AWS_REGION"] == "us-east-1"
    # moto's first SSM request loads its default parameters: give it time.
    ssm = boto3.client("ssm", config=Config(read_timeout=60))
    ssm.put_parameter(Name="/plugin/value", Value="one", Type="String")
    set_clock(container, fake_clock)
    assert container.value() == "one"
    ssm.put_parameter(Name="/plugin/value", Value="two", Type="String", Overwrite=True)
    fake_clock.tick(59)
    assert container.value() == "one"
    fake_clock.tick(1)
    assert container.value() == "two"


def test_cache_was_dropped_after_the_previous_test():
    assert container.value.age is None
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_invalidate_caches_drops_values_at_once(moto_endpoint, invalidate_caches):
    boto3.client("ssm").put_parameter(Name="/plugin/value", Value="three", Type="String")
    assert container.value() == "three"
    invalidate_caches(container)
    assert container.value.age is None


def test_moto_is_empty_for_each_test(moto_endpoint):
    with pytest.raises(LookupError):
        container.value.refresh()


@pytest.mark.lambda_context(
    function_name="orders", timeout_in_seconds=2, memory_limit_in_mb=512, clock=CONTEXT_CLOCK
)
def test_lambda_context_is_configured_by_marker(lambda_context):
    assert isinstance(lambda_context, LambdaContext)
    assert lambda_context.function_name == "orders"
    assert lambda_context.function_version == "$LATEST"
    assert lambda_context.invoked_function_arn == (
        "arn:aws:lambda:us-east-1:123456789012:function:orders"
    )
    assert lambda_context.memory_limit_in_mb == "512"
    assert lambda_context.log_group_name == "/aws/lambda/orders"
    assert lambda_context.get_remaining_time_in_millis() == 2000
    CONTEXT_CLOCK.tick(0.5)
    assert lambda_context.get_remaining_time_in_millis() == 1500
    CONTEXT_CLOCK.tick(5)
    assert lambda_context.get_remaining_time_in_millis() == 0


def test_lambda_context_defaults(lambda_context):
    assert lambda_context.function_name == "test-function"
    assert lambda_context.memory_limit_in_mb == "128"
    assert len(lambda_context.aws_request_id) == 36
    assert lambda_context.log_stream_name.startswith("2024/01/01/[$LATEST]")
    assert lambda_context.identity.cognito_identity_id is None
    assert lambda_context.identity.cognito_identity_pool_id is None
    assert lambda_context.client_context is None
    assert 0 < lambda_context.get_remaining_time_in_millis() <= 3000
"""


def test_plugin_fixtures_in_a_users_test_suite(tmp_path):
    """A user's tests using moto_endpoint, fake_clock, lambda_context and invalidate_caches pass."""
    (tmp_path / "test_handler.py").write_text(textwrap.dedent(USER_TESTS))
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPOSITORY),
        **FAKE_AWS_ENVIRONMENT,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            "test_handler.py",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("6 passed in ")


LEAKY_TESTS = """
import time

from dependency_injector import containers, providers

from lambda_cache_di import SSMParameter, set_clock


class App(containers.DeclarativeContainer):
    value = SSMParameter("/plugin/value")
    label = providers.Object("real")


container = App()


def test_1_changes_clock_and_overrides(fake_clock, invalidate_caches):
    invalidate_caches(container)
    set_clock(container, fake_clock)
    container.value.override(providers.Object("fake"))
    container.override_providers(label=providers.Object("fake label"))  # without `with`
    assert container.value.clock is fake_clock
    assert (container.value(), container.label()) == ("fake", "fake label")


def test_2_sees_none_of_it():
    assert container.value.clock is time.monotonic
    assert container.value.overridden == ()
    assert container.label() == "real"
"""

HIDDEN_MOTO_CONFTEST = """
import importlib.abc
import sys


class HideMoto(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "moto":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, HideMoto())
for name in [name for name in sys.modules if name.partition(".")[0] == "moto"]:
    del sys.modules[name]
"""

NEEDS_MOTO = """
def test_needs_moto(moto_endpoint):
    pass
"""


def run_user_tests(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """A pytest run of a user's folder, in a subprocess, with this checkout importable."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPOSITORY),
        **FAKE_AWS_ENVIRONMENT,
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_invalidate_caches_restores_clocks_and_overrides(tmp_path):
    """What a test changes in a registered container (clock, overrides) is back for the next."""
    (tmp_path / "test_leaks.py").write_text(textwrap.dedent(LEAKY_TESTS))
    result = run_user_tests(tmp_path, "-W", "error", "test_leaks.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("2 passed in ")


def test_without_moto_the_fixtures_name_the_extra(tmp_path):
    """With moto missing, moto_endpoint fails the test with the extra to install, not a trace."""
    (tmp_path / "conftest.py").write_text(HIDDEN_MOTO_CONFTEST)
    (tmp_path / "test_moto.py").write_text(NEEDS_MOTO)
    result = run_user_tests(tmp_path, "test_moto.py")
    assert result.returncode == 1
    assert (
        "moto is not installed: MotoServer and the moto_server and moto_endpoint fixtures "
        "need the demo extra: pip install 'lambda-cache-di[demo]' (No module named 'moto')"
    ) in result.stdout.splitlines()
    assert "The above exception" not in result.stdout
