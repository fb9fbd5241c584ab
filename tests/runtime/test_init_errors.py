"""Init failures under awslambdaric: reported to init/error, logged to stdout, process gone."""

from __future__ import annotations

import pytest

from lambda_cache_di.testing import InvocationFailed
from tests.runtime.conftest import REPOSITORY, StartRuntime


def test_a_definition_error_at_import_is_an_init_error(start_runtime: StartRuntime):
    """A container that raises ConfigurationError at import is posted to init/error."""
    runtime = start_runtime("tests.runtime.broken_handler.handler")
    error = runtime.api.wait_for_init_error().json()
    assert (error["errorType"], error["errorMessage"]) == (
        "ConfigurationError",
        "name 'prod/orders/table': a hierarchical name must start with '/'",
    )
    assert runtime.wait_for_exit() == 1


def test_a_missing_handler_is_an_init_error_logged_to_stdout(start_runtime: StartRuntime):
    """Without a telemetry log descriptor, awslambdaric logs the init error to stdout."""
    runtime = start_runtime("tests.runtime.echo_handler.no_such_handler")
    init_error = runtime.api.wait_for_init_error()
    assert init_error.error_type == "Runtime.HandlerNotFound"
    assert init_error.json() == {
        "errorMessage": "Handler 'no_such_handler' missing on module 'tests.runtime.echo_handler'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": "",
        "stackTrace": [],
    }
    assert runtime.wait_for_exit() == 1
    assert (
        "[ERROR] Runtime.HandlerNotFound: Handler 'no_such_handler' missing on module "
        "'tests.runtime.echo_handler'" in runtime.output()
    )


def test_with_two_workers_one_init_error_is_accepted(start_runtime: StartRuntime):
    """Each worker posts its init error; the emulator accepts the first, refuses the next (403)
    as Lambda does, and awslambdaric's workers exit without an error of their own."""
    runtime = start_runtime("tests.runtime.echo_handler.no_such_handler", max_concurrency=2)
    assert runtime.wait_for_exit() == 0
    assert [error.error_type for error in runtime.api.init_errors] == [
        "Runtime.HandlerNotFound",
        "Runtime.HandlerNotFound",
    ]
    assert "LambdaRuntimeClientError" not in runtime.output()


def test_an_unimportable_module_is_explained_by_invoke(start_runtime: StartRuntime):
    """InvocationFailed quotes the runtime's errorMessage, the handler string and the folder."""
    runtime = start_runtime("no_such_package.handler_module.handler")
    with pytest.raises(InvocationFailed) as failure:
        runtime.invoke({})
    assert str(failure.value) == (
        "init-error : Runtime.ImportModuleError: Unable to import module "
        "'no_such_package.handler_module': No module named 'no_such_package' "
        f"(handler 'no_such_package.handler_module.handler', run in {REPOSITORY})"
    )
    assert (failure.value.handler, failure.value.cwd) == (
        "no_such_package.handler_module.handler",
        str(REPOSITORY),
    )


def test_wait_until_ready_explains_an_init_error_too(start_runtime: StartRuntime):
    """The same explanation comes from waiting for the init as from an invocation."""
    runtime = start_runtime("tests.runtime.echo_handler.no_such_handler")
    with pytest.raises(InvocationFailed) as failure:
        runtime.wait_until_ready()
    assert str(failure.value).endswith(
        "Runtime.HandlerNotFound: Handler 'no_such_handler' missing on module "
        f"'tests.runtime.echo_handler' (handler 'tests.runtime.echo_handler.no_such_handler', "
        f"run in {REPOSITORY})"
    )
