"""AWS's request quotas on a simulated clock, and fake clients that retry as botocore does.

Every request (first attempts and retries alike) takes a token from its
operation's bucket; without one it is answered as AWS answers over a quota:
HTTP 400 `ThrottlingException`, "Rate exceeded". The fake clients retry with
botocore's own standard-mode classes (`botocore.retries.standard`: the same
retry conditions, full-jitter exponential back-off and retry quota that a real
client registers), sleeping on the simulation's clock, and raise botocore's
`ClientError` when botocore would give up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

# Requests a second per account and region (Service Quotas, as documented).
SSM_TPS = 40  # GetParameter, GetParameters, GetParametersByPath: one shared default quota
GET_SECRET_VALUE_TPS = 10_000
BATCH_GET_SECRET_VALUE_TPS = 100  # not adjustable
ROUND_TRIP_SECONDS = 0.03

QUOTA_OF = {
    "GetParameter": "SSM GetParameter*",
    "GetParameters": "SSM GetParameter*",
    "GetSecretValue": "GetSecretValue",
    "BatchGetSecretValue": "BatchGetSecretValue",
}
RATES = {
    "SSM GetParameter*": SSM_TPS,
    "GetSecretValue": GET_SECRET_VALUE_TPS,
    "BatchGetSecretValue": BATCH_GET_SECRET_VALUE_TPS,
}


class TokenBucket:
    """`rate` tokens a second, holding at most one second's worth (AWS does not publish it)."""

    def __init__(self, rate: float, start: float = 0.0) -> None:
        self.rate = rate
        self.capacity = rate
        self.tokens = rate
        self.updated = start

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Quotas:
    """One bucket per quota, and what each saw: served and throttled, per second too."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.buckets = {name: TokenBucket(rate, clock()) for name, rate in RATES.items()}
        self.served: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.per_second: Counter[tuple[str, int]] = Counter()  # (operation, second): requests
        self.last_request = 0.0

    def admit(self, operation: str) -> bool:
        now = self.clock()
        self.per_second[(operation, int(now))] += 1
        self.last_request = max(self.last_request, now)
        if self.buckets[QUOTA_OF[operation]].take(now):
            self.served[operation] += 1
            return True
        self.throttled[operation] += 1
        return False

    def peak(self, operation: str) -> int:
        """The most requests of `operation` in one second."""
        return max((n for (op, _), n in self.per_second.items() if op == operation), default=0)


class _HttpResponse(NamedTuple):
    status_code: int
    headers: dict[str, str]


_THROTTLED = _HttpResponse(400, {})
_OK = _HttpResponse(200, {})


class _Events:
    """The part of botocore's event system that retry handlers use: register, unregister."""

    def __init__(self) -> None:
        self.handlers: dict[str, dict[str, Callable[..., Any]]] = {}

    def register(self, event: str, handler: Callable[..., Any], unique_id: str = "") -> None:
        self.handlers.setdefault(event, {})[unique_id or repr(handler)] = handler

    def unregister(self, event: str, handler: Any = None, unique_id: str = "") -> None:
        self.handlers.get(event, {}).pop(unique_id, None)

    def first(self, event: str) -> Callable[..., Any]:
        return next(iter(self.handlers[event].values()))


class _Meta:
    """What the library reads of a client's `meta`: service, retry config, events."""

    region_name = "us-east-1"
    endpoint_url = None

    def __init__(self, service: str, max_attempts: int) -> None:
        from botocore.config import Config

        self.service_model = operation_model(service, None)
        self.config = Config(retries={"mode": "standard", "total_max_attempts": max_attempts})
        self.events = _Events()


class _Retrier:
    """botocore's standard-mode retry handler, as `register_retry_handler` builds it."""

    def __init__(self, service: str, max_attempts: int) -> None:
        from botocore.retries import quota, standard

        events = _SERVICE_EVENT_NAMES[service]
        adapter = standard.RetryEventAdapter()
        detector = standard.ThrottlingErrorDetector(adapter)
        self.quota = standard.RetryQuotaChecker(quota.RetryQuota(), detector)
        self.handler = standard.RetryHandler(
            retry_policy=standard.RetryPolicy(
                retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
                retry_backoff=standard.ExponentialBackoff(
                    service_name=events, throttling_detector=detector
                ),
            ),
            retry_event_adapter=adapter,
            retry_quota=self.quota,
            service_name=events,
        )


_SERVICE_EVENT_NAMES = {"ssm": "ssm", "secretsmanager": "secrets-manager"}
_MODELS: dict[tuple[str, str], Any] = {}


def operation_model(service: str, operation: str | None) -> Any:
    """botocore's model of the operation (its modeled errors decide some retries).

    Without an operation: the service's model.
    """
    key = (service, operation)
    if key not in _MODELS:
        import botocore.session

        model = botocore.session.get_session().get_service_model(service)
        _MODELS[key] = model if operation is None else model.operation_model(operation)
    return _MODELS[key]


class FakeClient:
    """A client of one service in one environment: its own retry quota, as a real one has.

    Its `meta` holds the retry config and an event registry where botocore's
    standard handler is registered under botocore's own id, so that code which
    replaces it on a real client (the library's `spare_the_quota`) can here too.
    Requests take `ROUND_TRIP_SECONDS`, half on the way there (where the quota
    counts them) and half on the way back; `sleep` is the simulation's.
    """

    def __init__(
        self, service: str, quotas: Quotas, sleep: Callable[[float], None], max_attempts: int
    ) -> None:
        self.service = service
        self.quotas = quotas
        self.sleep = sleep
        self.retrier = _Retrier(service, max_attempts)
        self.meta = _Meta(service, max_attempts)
        self.answered: Counter[str] = Counter()  # operation: this client's requests served
        name = _SERVICE_EVENT_NAMES[service]
        self._needs_retry = f"needs-retry.{name}"
        self.meta.events.register(
            self._needs_retry, self.retrier.handler.needs_retry, unique_id=f"retry-config-{name}"
        )

    def _call(self, operation: str, answer: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        context: dict[str, Any] = {}
        attempt = 1
        while True:
            self.sleep(ROUND_TRIP_SECONDS / 2)
            admitted = self.quotas.admit(operation)
            self.sleep(ROUND_TRIP_SECONDS / 2)
            if admitted:
                self.answered[operation] += 1
                self.retrier.quota.release_retry_quota(context, http_response=_OK)
                return answer()
            parsed = {
                "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            delay = self.meta.events.first(self._needs_retry)(
                response=(_THROTTLED, parsed),
                attempts=attempt,
                caught_exception=None,
                request_dict={"context": context},
                operation=operation_model(self.service, operation),
            )
            if delay is None:
                raise ClientError(parsed, operation)
            self.sleep(delay)
            attempt += 1

    # -- SSM ---------------------------------------------------------------------

    def get_parameter(self, Name: str, WithDecryption: bool = False) -> dict[str, Any]:
        return self._call("GetParameter", lambda: {"Parameter": _parameter(Name)})

    def get_parameters(self, Names: list[str], WithDecryption: bool = False) -> dict[str, Any]:
        return self._call(
            "GetParameters",
            lambda: {"Parameters": [_parameter(name) for name in Names], "InvalidParameters": []},
        )

    def get_paginator(self, operation: str) -> Any:
        raise NotImplementedError("not used by the fleet workload")

    # -- Secrets Manager -----------------------------------------------------------

    def get_secret_value(self, SecretId: str, **_: Any) -> dict[str, Any]:
        return self._call("GetSecretValue", lambda: _secret(SecretId))

    def batch_get_secret_value(self, SecretIdList: list[str], **_: Any) -> dict[str, Any]:
        return self._call(
            "BatchGetSecretValue",
            lambda: {"SecretValues": [_secret(i) for i in SecretIdList], "Errors": []},
        )


def _parameter(name: str) -> dict[str, Any]:
    return {"Name": name, "Value": "v", "Type": "String", "Version": 1}


def _secret(secret_id: str) -> dict[str, Any]:
    return {
        "Name": secret_id,
        "ARN": f"arn:aws:secretsmanager:::secret:{secret_id}-abcdef",
        "SecretString": '{"user": "app"}',
        "VersionId": "1",
    }
