"""boto3 clients: the botocore Config tuned for Lambda and the shared default clients.

boto3 is imported here on first use only, so `import lambda_cache_di` stays light.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from typing import Any

from ..errors import FetchError

# An invocation should fail in seconds, not hang until Lambda's timeout: a
# request gets 2 s to connect and 3 s between bytes, and botocore's standard
# mode retries it once (two attempts in all, with its own back-off). Worst case
# for one refresh: about 2 x (2 + 3) s plus botocore's retry delay.
# Throttling is the exception: the library's clients never retry it themselves
# (see `spare_the_quota`); the cache serves the value in hand, or waits its turn.
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 3.0
MAX_ATTEMPTS = 2

_SERVICE_IDS = {"secretsmanager": "secrets_manager"}

_default_clients: dict[tuple[str, str | None, str | None], Any] = {}
_default_session: list[Any] = []
# botocore sessions are not thread-safe: create clients one at a time.
_client_lock = threading.Lock()
# Held while a default client is made, so that threads asking for the same one
# at once (a parallel prefetch) wait for it rather than each building their own.
_default_lock = threading.Lock()


def lambda_config(**overrides: Any) -> Any:
    """A botocore `Config` for Lambda: standard retries, short timeouts; `overrides` win."""
    from botocore.config import Config

    settings: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "read_timeout": READ_TIMEOUT_SECONDS,
        # botocore's `max_attempts` counts retries only; `total_max_attempts` all attempts.
        "retries": {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        "tcp_keepalive": True,
    }
    settings.update(overrides)
    return Config(**settings)


def new_session() -> Any:
    """A new boto3 session from the environment."""
    import boto3

    return boto3.session.Session()


def new_client(session: Any, service: str, config: Any = None, **kwargs: Any) -> Any:
    """A client for `service` from `session`, with the Lambda `Config` unless one is given."""
    with _client_lock:
        client = session.client(
            service, config=config if config is not None else lambda_config(), **kwargs
        )
    spare_the_quota(client)
    return client


def spare_the_quota(client: Any) -> None:
    """Keep botocore's standard retries of `client` for everything but throttling.

    botocore would retry a throttled request after up to a second, blind to
    what the cache knows: a value in hand that can be served at once, other
    threads and processes waiting for the same fetch. Each such retry is one
    more request against a quota already spent. So the standard handler is
    replaced by one made of botocore's own parts whose checker refuses
    throttling errors, as botocore's own detector tells them. Clients in
    another retry mode are left alone.
    """
    retries = getattr(getattr(client, "meta", None), "config", None)
    settings = getattr(retries, "retries", None) or {}
    if settings.get("mode") != "standard":
        return
    from botocore.retries import quota, standard

    attempts = settings.get("total_max_attempts") or settings.get("max_attempts", 2) + 1
    service = client.meta.service_model.service_id.hyphenize()
    adapter = standard.RetryEventAdapter()
    throttling = standard.ThrottlingErrorDetector(adapter)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=_AllButThrottling(standard.StandardRetryConditions(attempts), throttling),
            retry_backoff=standard.ExponentialBackoff(
                service_name=service, throttling_detector=throttling
            ),
        ),
        retry_event_adapter=adapter,
        retry_quota=standard.RetryQuotaChecker(quota.RetryQuota(), throttling),
        service_name=service,
    )
    events = client.meta.events
    events.unregister(f"needs-retry.{service}", unique_id=f"retry-config-{service}")
    events.register(
        f"needs-retry.{service}", handler.needs_retry, unique_id=f"lambda-cache-di-retry-{service}"
    )


class _AllButThrottling:
    """botocore's standard retry conditions, refusing what its detector calls throttling."""

    def __init__(self, conditions: Any, throttling: Any) -> None:
        self._conditions = conditions
        self._throttling = throttling

    def is_retryable(self, context: Any) -> bool:
        if self._throttling.is_throttling_error_from_context(context):
            return False
        return bool(self._conditions.is_retryable(context))


# The calls each service's fetcher makes: an object with none of them is not that
# service's client (a boto3 resource, a session, None from a misconfigured provider).
_SERVICE_CALLS = {
    "ssm": ("get_parameter", "get_parameters", "get_paginator"),
    "secretsmanager": ("get_secret_value", "batch_get_secret_value"),
    "s3": ("get_object",),
}


def checked_client(client: Any, service: str) -> Any:
    """`client` itself, once sure it can be `service`'s client; else a FetchError naming why.

    Fakes and stubs without botocore's `meta` pass when they answer the service's calls.
    """
    model = getattr(getattr(client, "meta", None), "service_model", None)
    name = getattr(model, "service_name", None)
    if isinstance(name, str) and name != service:
        raise FetchError(f"the client given is a {name} client; a {service} client is needed")
    calls = _SERVICE_CALLS.get(service, ())
    if calls and not any(callable(getattr(client, call, None)) for call in calls):
        raise FetchError(
            f"the client given ({type(client).__name__}) is not a {service} client: "
            f"it has none of {', '.join(calls)}"
        )
    return client


def client_identity(client: Any) -> str:
    """Whom `client` signs as: a short hash of its access key id, "" when it has none.

    The same in every process of an environment (they share the role's
    credentials), different for another account or role; never the key itself.
    """
    credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    if credentials is None:
        return ""
    try:
        access_key = str(credentials.get_frozen_credentials().access_key)
    except Exception:  # an identity is a key part, not a reason to fail a fetch
        return ""
    return hashlib.sha256(access_key.encode()).hexdigest()[:16]


def region_partition(region: str) -> str | None:
    """The ARN partition botocore's own partition data gives `region`; None when none claims it."""
    from botocore.endpoint_provider import RuleSetStandardLibrary
    from botocore.loaders import Loader

    # The `aws.partition` function of the endpoint rules; it falls back on `aws`
    # for a region it does not know, hence the explicit match first.
    rules = RuleSetStandardLibrary(Loader().load_data("partitions"))
    partitions = rules.partitions_data["partitions"]
    if not any(rules.is_partition_match(region, partition) for partition in partitions):
        return None
    return str(rules.aws_partition(region)["name"])


def _environment_key(service: str) -> tuple[str, str | None, str | None]:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    # botocore names the variable after the service id: "Secrets Manager" → SECRETS_MANAGER.
    service_variable = "AWS_ENDPOINT_URL_" + _SERVICE_IDS.get(service, service).upper()
    endpoint = os.environ.get(service_variable) or os.environ.get("AWS_ENDPOINT_URL")
    return (service, region, endpoint)


def default_client(service: str) -> Any:
    """The shared client for `service` in the current region and endpoint, created on first use.

    Keyed by what the environment says now, so a test that points
    `AWS_ENDPOINT_URL` elsewhere gets a client of its own.
    """
    key = _environment_key(service)
    client = _default_clients.get(key)
    if client is not None:
        return client
    with _default_lock:
        client = _default_clients.get(key)
        if client is None:
            if not _default_session:
                _default_session.append(new_session())
            # botocore reads the endpoint variables itself; the key only tells clients apart.
            client = new_client(_default_session[0], service, region_name=key[1])
            _default_clients[key] = client
        return client


def reset_default_clients() -> None:
    """Drop the shared clients and session (for tests that change credentials)."""
    with _default_lock:
        _default_clients.clear()
        _default_session.clear()


def drop_connections(clients: Iterable[Any] = ()) -> int:
    """Close the pooled connections of `clients` and of every default client; return how many.

    botocore's `close()` empties the client's urllib3 pools and the client opens
    new connections on its next request, so a client stays usable. Objects
    without `close` (fakes) are skipped.
    """
    with _default_lock:
        every = {id(client): client for client in _default_clients.values()}
    every.update((id(client), client) for client in clients)
    closed = 0
    for client in every.values():
        close = getattr(client, "close", None)
        if callable(close) and getattr(client, "meta", None) is not None:
            close()
            closed += 1
    return closed
