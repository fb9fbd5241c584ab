"""A burst of cold starts against AWS's quotas, in virtual time: the workloads and their runs.

One environment: a container with twelve SSM parameters in one `SSMParameters`
and one `Secret`, each service with its own fake client (botocore's standard
retry with the library's `lambda_config()` attempts, so what a default client
of the library does); `prefetch` at init, then the first invocation reads both.
Its first invocation fails when reading raises, or when it ends more than
`TIMEOUT_SECONDS` after the environment started (API Gateway's 29 s: the
caller waits through the cold start too).

`plain_environment` is the same work without the library, as a Powertools user
gets it: a boto3 client in botocore's standard retry mode (3 attempts) and
nothing else; `floor` is the token bucket alone, serving every request the
moment it has a token.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from .dataset import PARAMETERS
from .quota import ROUND_TRIP_SECONDS, SSM_TPS, FakeClient, Quotas, TokenBucket
from .virtual_time import Scheduler, patched

BURST_SECONDS = 10.0
TIMEOUT_SECONDS = 29.0
SECRET = "prod/db/credentials"
BOTOCORE_STANDARD_ATTEMPTS = 3  # botocore.retries.standard.DEFAULT_MAX_ATTEMPTS

Result = dict[str, Any]
# An environment's first invocation: when it started and ended, whether reading
# succeeded, and how many of its GetParameters requests the quota answered.
Outcome = tuple[float, float, bool, int]


def starts(environments: int, seed: int, burst: float = BURST_SECONDS) -> list[float]:
    """When each environment starts: at random within the burst, reproducibly."""
    rng = random.Random(seed)
    return sorted(rng.uniform(0, burst) for _ in range(environments))


def library_client(
    service: str, quotas: Quotas, sleep: Callable[[float], None], attempts: int
) -> FakeClient:
    """A fake client retrying as the library's own default clients do, in this revision.

    Where the library adjusts the retries of the clients it makes (it stops
    botocore from retrying throttling), the same function adjusts this one.
    """
    from lambda_cache_di.fetchers import clients

    client = FakeClient(service, quotas, sleep, attempts)
    adjust = getattr(clients, "spare_the_quota", None)
    if adjust is not None:
        adjust(client)
    return client


def library_attempts() -> int:
    """The attempts the library's own default clients make (botocore's total_max_attempts)."""
    from lambda_cache_di.fetchers.clients import lambda_config

    retries = lambda_config().retries or {}
    return int(retries.get("total_max_attempts", BOTOCORE_STANDARD_ATTEMPTS))


def _container_class(
    parameters: bool, names: int = len(PARAMETERS), throttle_wait: float | None = None
) -> Any:
    from dependency_injector import containers, providers

    from lambda_cache_di import Secret, SSMParameters

    ssm = providers.Dependency()
    secrets = providers.Dependency()
    declared: dict[str, Any] = {"ssm": ssm, "secrets": secrets}
    if parameters:
        # Only when given: a revision of the library without the option runs too.
        options = {} if throttle_wait is None else {"throttle_wait_in_seconds": throttle_wait}
        declared["parameters"] = SSMParameters(PARAMETERS[:names], client=ssm, **options)
    declared["secret"] = Secret(SECRET, client=secrets)
    return type("Environment", (containers.DeclarativeContainer,), declared)


def run_library(
    environments: int,
    seed: int,
    names: int = len(PARAMETERS),
    throttle_wait: float | None = None,
) -> Result:
    """Every environment of the burst through the library's own code; the outcome.

    `names`: how many of the twelve parameters (ten or fewer: one GetParameters
    request); `throttle_wait`: the parameters' `throttle_wait_in_seconds` (default: the library's).
    """
    return run_library_at(
        starts(environments, seed), seed, names=names, throttle_wait=throttle_wait
    )


def secrets_starts(environments: int = 10, processes: int = 64, seed: int = 3) -> list[float]:
    """Managed Instances: environments starting within one second, their processes at once."""
    return sorted(t for t in starts(environments, seed, burst=1.0) for _ in range(processes))


def run_library_at(
    times: list[float],
    seed: int,
    parameters: bool = True,
    names: int = len(PARAMETERS),
    throttle_wait: float | None = None,
) -> Result:
    """Environments started at `times`, through the library's own code; the outcome."""
    import lambda_cache_di.prefetch  # noqa: F401  (imported before the swap of primitives)
    from lambda_cache_di import LambdaCacheError, prefetch, set_clock

    random.seed(seed)  # the library's and botocore's jitter draws
    scheduler = Scheduler()
    quotas = Quotas(scheduler)
    kind = _container_class(parameters, names, throttle_wait)
    attempts = library_attempts()
    outcomes: list[Outcome] = []

    def environment() -> None:
        began = scheduler.now
        ssm = library_client("ssm", quotas, scheduler.sleep, attempts)
        container = kind(
            ssm=ssm, secrets=library_client("secretsmanager", quotas, scheduler.sleep, attempts)
        )
        set_clock(container, scheduler)
        prefetch(container)
        ok = True
        try:
            if parameters:
                container.parameters()
            container.secret()
        except LambdaCacheError:
            ok = False
        outcomes.append((began, scheduler.now, ok, ssm.answered["GetParameters"]))

    # A thousand prefetch warnings would drown the table; the level is put back after.
    logger = logging.getLogger("lambda_cache_di")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with patched(scheduler):
            for start in times:
                scheduler.spawn(environment, at=start)
            scheduler.run()
    finally:
        logger.setLevel(level)
    return summary(outcomes, quotas)


def run_plain(environments: int, seed: int) -> Result:
    """The same reads with botocore's standard retries alone, in the first invocation."""
    from botocore.exceptions import ClientError

    random.seed(seed)
    scheduler = Scheduler()
    quotas = Quotas(scheduler)
    outcomes: list[Outcome] = []

    def environment() -> None:
        began = scheduler.now
        ssm = FakeClient("ssm", quotas, scheduler.sleep, BOTOCORE_STANDARD_ATTEMPTS)
        secrets = FakeClient("secretsmanager", quotas, scheduler.sleep, BOTOCORE_STANDARD_ATTEMPTS)
        ok = True
        try:
            for first in range(0, len(PARAMETERS), 10):
                ssm.get_parameters(Names=PARAMETERS[first : first + 10], WithDecryption=True)
            secrets.get_secret_value(SecretId=SECRET)
        except ClientError:
            ok = False
        outcomes.append((began, scheduler.now, ok, ssm.answered["GetParameters"]))

    for start in starts(environments, seed):
        scheduler.spawn(environment, at=start)
    scheduler.run()
    return summary(outcomes, quotas)


def summary(outcomes: list[Outcome], quotas: Quotas) -> Result:
    """Failed first invocations, the slowest, requests served and throttled, time to drain.

    `lost_answers`: GetParameters answers spent on first invocations that failed
    anyway.
    """
    durations = [end - began for began, end, _, _ in outcomes]
    failures = [not ok or end - began > TIMEOUT_SECONDS for began, end, ok, _ in outcomes]
    return {
        "environments": len(outcomes),
        "failed": sum(failures),
        "lost_answers": sum(
            answered for (*_, answered), failed in zip(outcomes, failures, strict=True) if failed
        ),
        "slowest": max(durations),
        "served": sum(quotas.served.values()),
        "throttled": sum(quotas.throttled.values()),
        "drain": quotas.last_request,
        "served_by_operation": dict(quotas.served),
        "throttled_by_operation": dict(quotas.throttled),
        "peaks": {op: quotas.peak(op) for op in {op for op, _ in quotas.per_second}},
    }


def floor(
    environments: int,
    seed: int,
    requests_each: int = 2,
    rate: float = SSM_TPS,
    within: float = TIMEOUT_SECONDS,
    turn_away: bool = True,
) -> Result:
    """The SSM bucket alone: requests served in arrival order the moment a token is there.

    `failed` is the least number of first invocations past the timeout that
    any client could achieve: environments are admitted in order of arrival
    (their deadlines come in the same order) and one that can no longer finish
    in time is left for later, so it takes no token from the others. `within`:
    how long an environment may wait for its answers (the timeout, by default;
    still counted as failed past the timeout). `turn_away=False`: no one is
    left for later; the whole burst drains first come, first served, and the
    invocations answered past `within` fail.
    """
    arrivals = starts(environments, seed)
    bucket = TokenBucket(rate)
    served_at = _serve(bucket, [t + ROUND_TRIP_SECONDS / 2 for t in arrivals], requests_each)
    waits = [done + ROUND_TRIP_SECONDS / 2 - t for t, done in zip(arrivals, served_at, strict=True)]
    within = min(within, TIMEOUT_SECONDS)
    if turn_away:
        failed = environments - _most_on_time(arrivals, requests_each, rate, within)
    else:
        failed = sum(wait > within for wait in waits)
    return {
        "environments": environments,
        "failed": failed,
        "slowest": max(waits),
        # The secret's GetSecretValue too: its 10,000 TPS never make anyone wait.
        "served": environments * (requests_each + 1),
        "throttled": 0,
        "drain": max(served_at),
    }


def supply(environments: int, seed: int, within: float, rate: float = SSM_TPS) -> float:
    """Answers the bucket can give until the last environment's wait ends (it starts full)."""
    return rate * (1 + max(starts(environments, seed)) + within)


def _serve(bucket: TokenBucket, arrivals: list[float], each: int) -> list[float]:
    """When the last request of each arrival is served, first come first served."""
    now = 0.0
    done = []
    for arrival in arrivals:
        now = max(now, arrival)
        for _ in range(each):
            now = _next_token(bucket, now)
        done.append(now)
    return done


def _next_token(bucket: TokenBucket, now: float) -> float:
    """Take a token at `now` or as soon as one is there; when it was taken."""
    if not bucket.take(now):
        now += (1 - bucket.tokens) / bucket.rate + 1e-9
        bucket.take(now)
    return now


def _most_on_time(arrivals: list[float], each: int, rate: float, within: float) -> int:
    bucket = TokenBucket(rate)
    now = 0.0
    on_time = 0
    for arrival in arrivals:
        trial = TokenBucket(rate)
        trial.tokens, trial.updated = bucket.tokens, bucket.updated
        at = max(now, arrival + ROUND_TRIP_SECONDS / 2)
        for _ in range(each):
            at = _next_token(trial, at)
        if at + ROUND_TRIP_SECONDS / 2 - arrival <= within:
            bucket, now, on_time = trial, at, on_time + 1
    return on_time


Runner = Callable[[int, int], Result]
