"""The Lambda runtime harness of this project's tests lives in the package, for users too."""

from lambda_cache_di.testing.runtime import (
    Invocation,
    InvocationFailed,
    LambdaRuntime,
    RuntimeApi,
    RuntimeExited,
    run_handler,
    runtime_environment,
    secret_copies_in_memory,
)

__all__ = [
    "Invocation",
    "InvocationFailed",
    "LambdaRuntime",
    "RuntimeApi",
    "RuntimeExited",
    "run_handler",
    "runtime_environment",
    "secret_copies_in_memory",
]
