"""The peers' handlers for the same data set, each built in a fresh (cold) state.

Peers read the wall clock, so the call-count benchmark swaps their module's
`time` or `datetime` reference for a simulated one (see `time_patches`); no
peer code is changed. Powertools and ssm-cache cache no S3 files: their
handlers download the file once per execution environment with boto3.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .dataset import BUCKET, KEY, MAX_AGE, PARAMETERS, S3_URI, SECRETS

if TYPE_CHECKING:
    from .common import SimTime

Handler = Callable[[Any, Any], Any]


def lambda_cache_each() -> Handler:
    """lambda-cache 0.8.1 with one decorator per value (the seed README's stacking)."""
    from lambda_cache import caching_logic, s3, secrets_manager, ssm

    caching_logic.global_aws_lambda_cache = {}

    def handler(event: Any, context: Any) -> int:
        return len(vars(context))

    for name in PARAMETERS:
        handler = ssm.cache(parameter=name, max_age_in_seconds=MAX_AGE)(handler)
    for name in SECRETS:
        handler = secrets_manager.cache(name=name, max_age_in_seconds=MAX_AGE)(handler)
    return s3.cache(s3Uri=S3_URI, max_age_in_seconds=MAX_AGE)(handler)  # type: ignore[no-any-return]


def lambda_cache_lists() -> Handler:
    """lambda-cache 0.8.1 with the parameters in two lists of six (it sends lists unsplit)."""
    from lambda_cache import caching_logic, s3, secrets_manager, ssm

    caching_logic.global_aws_lambda_cache = {}

    def handler(event: Any, context: Any) -> int:
        return len(vars(context))

    for index, names in enumerate((PARAMETERS[:6], PARAMETERS[6:])):
        handler = ssm.cache(parameter=names, entry_name=f"l{index}", max_age_in_seconds=MAX_AGE)(
            handler
        )
    for name in SECRETS:
        handler = secrets_manager.cache(name=name, max_age_in_seconds=MAX_AGE)(handler)
    return s3.cache(s3Uri=S3_URI, max_age_in_seconds=MAX_AGE)(handler)  # type: ignore[no-any-return]


def _download_once() -> Callable[[], str]:
    """A boto3 download done on first use and never refreshed (for peers without S3 files)."""
    state: dict[str, str] = {}

    def path() -> str:
        if "path" not in state:
            import boto3

            target = tempfile.mkdtemp() + "/model.json"
            boto3.client("s3").download_file(BUCKET, KEY, target)
            state["path"] = target
        return state["path"]

    return path


def powertools() -> Handler:
    """Powertools parameters: get_parameters_by_name for the parameters, get_secret for each."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    by_name: dict[str, Any] = {name: {} for name in PARAMETERS}
    model = _download_once()

    def handler(event: Any, context: Any) -> int:
        values = parameters.get_parameters_by_name(by_name, max_age=MAX_AGE, decrypt=True)
        secrets = [parameters.get_secret(name, max_age=MAX_AGE) for name in SECRETS]
        return len(values) + len(secrets) + len(model())

    return handler


def ssm_cache() -> Handler:
    """ssm-cache: one SSMParameterGroup for the parameters (no secrets: see SSM_CACHE_NOTE)."""
    from ssm_cache import SSMParameterGroup
    from ssm_cache.refreshable import Refreshable

    Refreshable._ssm_client = None
    group = SSMParameterGroup(max_age=MAX_AGE)
    values = [group.parameter(name) for name in PARAMETERS]
    model = _download_once()

    def handler(event: Any, context: Any) -> int:
        return len([v.value for v in values]) + len(model())

    return handler


def secretsmanager_caching() -> Handler:
    """aws-secretsmanager-caching: SecretCache for the three secrets (it caches nothing else)."""
    import boto3
    from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

    cache = SecretCache(
        SecretCacheConfig(secret_refresh_interval=MAX_AGE), client=boto3.client("secretsmanager")
    )

    def handler(event: Any, context: Any) -> int:
        return len([cache.get_secret_string(name) for name in SECRETS])

    return handler


SSM_CACHE_NOTE = (
    "ssm-cache reads secrets through SSM's /aws/reference/secretsmanager/ names, which it "
    "rejects as invalid against moto's answer; its rows cover the parameters and the file only."
)

PEERS: dict[str, tuple[str, Callable[[], Handler]]] = {
    "lambda_cache_each": ("lambda-cache 0.8.1, one decorator per value", lambda_cache_each),
    "lambda_cache_lists": ("lambda-cache 0.8.1, two lists + 4 decorators", lambda_cache_lists),
    "powertools": ("Powertools parameters", powertools),
    "ssm_cache": ("ssm-cache (no secrets)", ssm_cache),
    "secretsmanager_caching": (
        "aws-secretsmanager-caching (3 secrets only)",
        secretsmanager_caching,
    ),
}


def time_patches(peer: str, sim: SimTime) -> list[tuple[Any, str, Any]]:
    """Where each peer reads the wall clock, and the simulated stand-in to put there."""
    if peer.startswith("lambda_cache"):
        import lambda_cache.caching_logic
        import lambda_cache.s3

        return [
            (lambda_cache.caching_logic, "time", sim.time_module()),
            (lambda_cache.s3, "datetime", sim.datetime_class()),
        ]
    if peer == "powertools":
        import aws_lambda_powertools.utilities.parameters.base as base

        return [(base, "datetime", sim.datetime_class())]
    if peer == "ssm_cache":
        import ssm_cache.utils

        return [(ssm_cache.utils, "datetime", sim.datetime_class())]
    if peer == "secretsmanager_caching":
        import aws_secretsmanager_caching.cache.items as items

        return [(items, "datetime", sim.datetime_class())]
    raise KeyError(peer)


def context() -> SimpleNamespace:
    """A stand-in Lambda context (lambda-cache sets attributes on it)."""
    return SimpleNamespace()
