"""`prefetch`: fill every cached provider of a container now, batched and in parallel.

Meant for the init phase of a cold start: SSM parameters sharing a client go
into GetParameters calls of at most ten, secrets at AWSCURRENT into
BatchGetSecretValue calls of at most twenty, everything else is refreshed on
its own; all of it at once in a bounded thread pool. Each provider's cache is
filled as if it had fetched for itself, through its own transform. Values still
fresh are left alone, so prefetch may run again and again. Nothing raises: failures are returned
and logged (names and error types only), and those providers fetch on first use.
Only a bad `max_workers` raises (ConfigurationError).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .core.environment import in_snapstart_init
from .core.shared import SharedValue
from .errors import ConfigurationError, FetchError, LambdaCacheError, NotFoundError
from .fetchers import secrets as secrets_fetcher
from .fetchers import ssm as ssm_fetcher
from .providers.base import CachedProvider
from .providers.discovery import cached_providers
from .providers.s3 import S3File
from .providers.secrets import Secret
from .providers.sharing import ProviderSource, batch_through_store
from .providers.ssm import SSMParameter

logger = logging.getLogger(__name__)
# What a SnapStart init may prefetch: files, and single parameters read undecrypted.
SNAPSHOT_SAFE = (SSMParameter, S3File)

Named = tuple[str, CachedProvider[Any]]
# A batch fetch: keys in; the values by key, and an error for each key that failed.
BatchFetch = Callable[[Any, list[Any]], tuple[dict[Any, Any], dict[Any, BaseException]]]


def prefetch(container: Any, *, max_workers: int = 8) -> dict[str, BaseException]:
    """Fetch every cached provider of a container instance now; return `{name: error}` of failures.

    Overridden providers are skipped, and so are values still fresh: calling
    it again makes no request until something expires. Provider arguments
    (`config.param_name`) are resolved here; one that cannot be is returned as a
    ConfigurationError. A failure never stops the others and is never raised:
    it is logged as a warning and the provider fetches again on first use.
    """
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ConfigurationError(f"max_workers must be a positive int, not {max_workers!r}")
    failures: dict[str, BaseException] = {}
    named: list[Named] = []
    for name, provider in cached_providers(container):
        if provider.last_overriding is not None or not _may_prefetch(provider):
            continue
        try:
            provider.resolve()
        except ConfigurationError as exc:
            failures[name] = exc
            continue
        if not provider.fresh:
            named.append((name, provider))
    if named:
        _fetch_all(named, max_workers, failures)
    for name, error in list(failures.items()):
        # Named by type only: a message may quote a value, ours never do.
        logger.warning("prefetch: %s failed with %s", name, type(error).__name__)
        if not isinstance(error, LambdaCacheError):
            failures[name] = _typed(error)  # a bug somewhere: still returned typed
    return failures


def _typed(error: BaseException) -> LambdaCacheError:
    """A FetchError standing for an error that is not this library's, chained to it."""
    typed = FetchError(f"prefetch failed with {type(error).__name__}")
    typed.__cause__ = error
    return typed


def _fetch_all(named: list[Named], max_workers: int, failures: dict[str, BaseException]) -> None:
    tasks: list[Future[dict[str, BaseException]]] = []
    with ThreadPoolExecutor(max_workers, thread_name_prefix="prefetch") as pool:
        for members in _by_service(named).values():
            tasks += _submit_service(pool, members, failures)
        for task in tasks:
            failures.update(task.result())


def _may_prefetch(provider: CachedProvider[Any]) -> bool:
    """In a SnapStart init, only what holds no secret: see snapstart.py."""
    return not in_snapstart_init() or isinstance(provider, SNAPSHOT_SAFE)


def _by_service(named: list[Named]) -> dict[str, list[Named]]:
    by_service: dict[str, list[Named]] = {}
    for name, provider in named:
        by_service.setdefault(provider.service, []).append((name, provider))
    return by_service


def _submit_service(
    pool: ThreadPoolExecutor, members: list[Named], failures: dict[str, BaseException]
) -> list[Future[dict[str, BaseException]]]:
    """Resolve the clients of one service here, then submit its work to the pool.

    Clients are made in the calling thread, one after the other: making one is
    CPU-bound (parallel threads would not finish sooner) and client providers
    such as `providers.Singleton` are not thread-safe. The work of the first
    service is on the wire while the next service's client is being made.
    """
    by_spec: dict[int | None, list[Named]] = {}
    for name, provider in members:
        spec = None if provider.client is None else id(provider.client)
        by_spec.setdefault(spec, []).append((name, provider))
    by_client: dict[int, tuple[Any, list[Named]]] = {}
    for spec_members in by_spec.values():
        try:
            client = spec_members[0][1].resolve_client()
        except Exception as exc:
            failures.update((name, exc) for name, _ in spec_members)
            continue
        by_client.setdefault(id(client), (client, []))[1].extend(spec_members)
    tasks: list[Future[dict[str, BaseException]]] = []
    for client, client_members in by_client.values():
        tasks += _submit_batches(pool, client, [m for m in client_members if _batchable(m[1])])
        for name, provider in client_members:
            if not _batchable(provider):
                tasks.append(pool.submit(_refresh, name, provider))
    return tasks


def _batchable(provider: CachedProvider[Any]) -> bool:
    return isinstance(provider, SSMParameter) or (
        isinstance(provider, Secret) and provider.batchable
    )


def _refresh(name: str, provider: CachedProvider[Any]) -> dict[str, BaseException]:
    try:
        # Not forced: a value another process just fetched for the environment will do.
        provider._entry.refresh(force=False)
    except Exception as exc:
        return {name: exc}
    return {}


def _submit_batches(
    pool: ThreadPoolExecutor, client: Any, members: list[Named]
) -> list[Future[dict[str, BaseException]]]:
    """One task per GetParameters call of up to ten names or BatchGetSecretValue of twenty ids."""
    tasks: list[Future[dict[str, BaseException]]] = []
    parameters = [(n, p) for n, p in members if isinstance(p, SSMParameter)]
    secrets = [(n, s) for n, s in members if isinstance(s, Secret)]
    for group in ssm_fetcher.group_names([p.name for _, p in parameters]):
        users: list[Named] = [(n, p) for n, p in parameters if p.name in group]
        tasks.append(pool.submit(_batch, _parameters_found, client, group, users))
    for ids in secrets_fetcher.group_ids([s.secret_id for _, s in secrets]):
        users = [(n, s) for n, s in secrets if s.secret_id in ids]
        tasks.append(pool.submit(_batch, _secrets_found, client, ids, users))
    return tasks


def _batch(
    fetch: BatchFetch, client: Any, keys: list[Any], users: list[Named]
) -> dict[str, BaseException]:
    """One batch call: each provider gets its value, or the error of its own key alone.

    Shared providers go through the store: what another process fetched is
    read, and only what is missing is fetched, once for the environment.
    """
    failures: dict[str, BaseException] = {}
    try:
        found, errors = batch_through_store(
            [
                (_key_of(p), _tier_of(p), p.private_value if p.shared is None else None)
                for _, p in users
            ],
            lambda missing: fetch(client, missing),
            users[0][1].clock,
        )
    except Exception as exc:
        return {name: exc for name, _ in users}
    try:
        for name, provider in users:
            key = _key_of(provider)
            if key in errors:
                failures[name] = errors[key]
                continue
            if key not in found:  # a SecureString left encrypted in a SnapStart init
                continue
            try:
                # The provider's own transform path, so a batched value is cached
                # exactly as the provider's fetch would have cached it.
                value, fetched_at = found[key]
                provider._entry.put(provider._finish(value), fetched_at=fetched_at)
            except Exception as exc:
                failures[name] = exc
            value = None
    finally:
        # A returned error's traceback keeps this frame: drop every value of the batch.
        found.clear()
    return failures


def _tier_of(provider: CachedProvider[Any]) -> SharedValue | None:
    source = provider._entry.source
    return source.tier() if isinstance(source, ProviderSource) else None


def _parameters_found(client: Any, names: list[Any]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    decrypt = not in_snapstart_init()  # a SnapStart init leaves SecureStrings out
    values, missing = ssm_fetcher.get_parameters_found(client, names, decrypt=decrypt)
    return values, {name: NotFoundError((name.full,)) for name in missing}


def _secrets_found(client: Any, ids: list[Any]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    values, codes = secrets_fetcher.batch_get_secret_values_found(client, ids)
    return values, {
        secret: secrets_fetcher.batch_error({secret: code}) for secret, code in codes.items()
    }


def _key_of(provider: CachedProvider[Any]) -> Any:
    return provider.name if isinstance(provider, SSMParameter) else provider.secret_id  # type: ignore[attr-defined]
