"""The example handlers under awslambdaric, against moto: responses and AWS requests."""

from __future__ import annotations

import pytest

from lambda_cache_di.testing import MotoServer
from lambda_cache_di.testing.runtime import InvocationFailed, LambdaRuntime

from .conftest import API_URL, TABLE, StartRuntime

PREFETCH_RESPONSE = {
    "table": TABLE,
    "api": API_URL,
    "user": "app",
    "model": '{"version": "v7", "weights": {"apple": 1.5, "pear": 2.0}}',
}


@pytest.fixture(scope="module")
def prefetch_one(start_runtime: StartRuntime, world: MotoServer) -> tuple[LambdaRuntime, dict]:
    """examples/prefetch_app.py in one process, and the requests its init made."""
    world.reset_counts()
    runtime = start_runtime("examples.prefetch_app.handler")
    runtime.wait_until_ready()
    return runtime, dict(world.requests)


@pytest.fixture(scope="module")
def prefetch_eight(start_runtime: StartRuntime, world: MotoServer) -> tuple[LambdaRuntime, dict]:
    """examples/prefetch_app.py in 8 processes, sharing off, and the requests of their inits."""
    world.reset_counts()
    # LAMBDA_CACHE_DI_SHARED=0: each process fetches for itself, with or without a shared tier.
    runtime = start_runtime(
        "examples.prefetch_app.handler",
        max_concurrency=8,
        environment={"LAMBDA_CACHE_DI_SHARED": "0"},
    )
    runtime.wait_until_ready(timeout=120)
    return runtime, dict(world.requests)


class TestPrefetchOneProcess:
    def test_init_makes_the_requests_of_one_prefetch(self, prefetch_one):
        """Without AWS_LAMBDA_MAX_CONCURRENCY the init makes one request per service."""
        _, init_requests = prefetch_one
        assert init_requests == {
            "AmazonSSM.GetParameters": 1,
            "secretsmanager.GetSecretValue": 1,
            "s3:GET": 1,
        }

    def test_invocations_are_served_from_the_cache(self, prefetch_one, world):
        """Three invocations answer exactly and make no AWS request."""
        runtime, _ = prefetch_one
        world.reset_counts()
        assert [runtime.invoke({}) for _ in range(3)] == [PREFETCH_RESPONSE] * 3
        assert world.requests == {}


class TestPrefetchEightProcesses:
    def test_each_process_prefetches_for_itself(self, prefetch_eight):
        """With sharing off, 8 workers make 8 GetParameters and 8 GetSecretValue calls."""
        _, init_requests = prefetch_eight
        # S3 is left out: a worker that starts after the one download ended asks again
        # (a conditional GET), so the number of GETs depends on timing.
        assert init_requests["AmazonSSM.GetParameters"] == 8
        assert init_requests["secretsmanager.GetSecretValue"] == 8

    def test_every_response_is_correct(self, prefetch_eight):
        """16 invocations spread over 8 workers all answer exactly."""
        runtime, _ = prefetch_eight
        request_ids = [runtime.api.queue({}) for _ in range(16)]
        results = [runtime.api.result(request_id) for request_id in request_ids]
        assert [result.outcome for result in results] == ["response"] * 16
        assert [result.json() for result in results] == [PREFETCH_RESPONSE] * 16


@pytest.fixture(scope="module")
def orders(start_runtime: StartRuntime) -> LambdaRuntime:
    """The demo's orders handler in one process, its init done."""
    runtime = start_runtime("lambda_cache_di.tools.demo_app.orders.handler")
    runtime.wait_until_ready()
    return runtime


class TestOrders:
    def test_first_invocation_fetches_and_the_next_do_not(self, orders, world):
        """The first call makes one request per value; the second, none."""
        world.reset_counts()
        assert orders.invoke({"items": ["apple", "pear", "plum"]}) == {
            "table": TABLE,
            "db_host": "db.internal",
            "model_version": "v7",
            "score": 3.5,
        }
        assert world.requests == {
            "AmazonSSM.GetParameter": 1,
            "secretsmanager.GetSecretValue": 1,
            "s3:GET": 1,
        }
        world.reset_counts()
        assert orders.invoke({"items": ["apple"]})["score"] == 1.5
        assert world.requests == {}

    def test_a_handler_error_is_posted_to_the_error_endpoint(self, orders):
        """A handler that raises is reported to invocation/{id}/error with its type and message."""
        with pytest.raises(InvocationFailed) as failure:
            orders.invoke({"items": 5})
        invocation = failure.value.invocation
        assert invocation.outcome == "error"
        error = invocation.json()
        assert (error["errorType"], error["errorMessage"]) == (
            "TypeError",
            "'int' object is not iterable",
        )
        assert error["requestId"] == invocation.request_id
