"""The shared tier as cached providers use it: who shares, under which key, batches included.

A provider's cache entry gets its values through a `ProviderSource`: straight
from the provider's fetch when the provider does not share, else through a
`SharedValue` of the store, so that one process of the environment fetches for
all. Only raw fetched values are stored; each process applies its own
transform afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from contextlib import nullcontext, suppress
from typing import TYPE_CHECKING, Any

from ..core.shared import Record, SharedStore, SharedValue, keep, resolve_shared
from ..errors import ConfigurationError, LambdaCacheError
from ..fetchers.clients import client_identity

if TYPE_CHECKING:
    from .base import CachedProvider

# Keys a batch fetch takes; its answer: raw values by key, and an error for each failed key.
BatchAnswer = tuple[dict[Any, Any], dict[Any, BaseException]]


def check_shared(value: object) -> bool | None:
    """`None` (the auto rule), `True` or `False`."""
    if value is None or isinstance(value, bool):
        return value
    raise ConfigurationError(f"shared must be None, True or False, not {value!r}")


def share_key(provider: CachedProvider[Any], client: Any) -> str:
    """What names a provider's value across processes: its kind, AWS endpoint, identity, arguments.

    The transform is left out: the store holds raw values, transformed in each process.
    The result keys of a group are in, since the stored dict is keyed by them.
    """
    arguments = {
        key: value
        for key, value in provider._arguments().items()
        if value is None or isinstance(value, (str, bool, int, float))
    }
    keyed = getattr(provider, "_keyed", None)
    keys = list(keyed) if isinstance(keyed, dict) else None
    meta = getattr(client, "meta", None)
    # Two accounts (or roles) can hold the same name: whom the client signs as is in the key.
    where = [
        str(getattr(meta, "region_name", "")),
        str(getattr(meta, "endpoint_url", "")),
        client_identity(client),
    ]
    return json.dumps([type(provider).__name__, where, provider._describe(), keys, arguments])


class ProviderSource:
    """The source of one provider's cache entry: its own fetch, or the shared store."""

    __slots__ = ("_provider", "_shared")

    def __init__(self, provider: CachedProvider[Any]) -> None:
        self._provider = provider
        self._shared: SharedValue | None = None

    def tier(self) -> SharedValue | None:
        """The provider's place in the store, when it shares now (the auto rule is read now)."""
        provider = self._provider
        if not resolve_shared(provider.shared, provider.shared_by_default):
            return None
        if self._shared is None:
            self._shared = SharedValue(
                SharedStore(),
                share_key(provider, provider.resolve_client()),
                provider._fetch_raw,
                lambda: provider.clock,
                provider.max_age_in_seconds,
                what=provider.resource,
                private=None if provider.shared else provider.private_value,
                accepts=provider.raw_value_ok,
            )
        return self._shared

    def load(self, force: bool = False) -> tuple[Any, float]:
        provider = self._provider
        tier = self.tier()
        if tier is None:
            began = provider.clock()
            raw = provider._fetch_raw()
        else:
            raw, began = tier.load(force)
        try:
            return provider._finish(raw), began
        except BaseException:
            del raw  # the traceback keeps this frame: leave no value in it
            raise

    def forget(self, before: float) -> None:
        tier = self.tier()
        if tier is not None:
            # Nothing shared can be forgotten in a folder that is refused or locked up.
            with suppress(LambdaCacheError, OSError):
                tier.forget(before)


def batch_through_store(
    users: Sequence[tuple[Hashable, SharedValue | None, Callable[[Any], bool] | None]],
    fetch: Callable[[list[Any]], BatchAnswer],
    clock: Callable[[], float],
) -> tuple[dict[Any, tuple[Any, float]], dict[Any, BaseException]]:
    """One batch for the whole environment: fresh shared values are read, the rest fetched once.

    `users` are (batch key, shared value or None, private test). Keys whose value
    is fresh in the store are not fetched; the locks of the others are held (in
    sorted order, inside `SharedStore.session`) across the fetch, so N processes
    prefetching at once make the requests of one.
    """
    found: dict[Any, tuple[Any, float]] = {}
    try:
        return _batch_locked(users, fetch, clock, found)
    except BaseException:
        # The traceback keeps the frames of this call: leave no value in them.
        found.clear()
        raise


def _batch_locked(
    users: Sequence[tuple[Hashable, SharedValue | None, Callable[[Any], bool] | None]],
    fetch: Callable[[list[Any]], BatchAnswer],
    clock: Callable[[], float],
    found: dict[Any, tuple[Any, float]],
) -> tuple[dict[Any, tuple[Any, float]], dict[Any, BaseException]]:
    now = clock()
    tiers = {key: tier for key, tier, _ in users if tier is not None}
    for key, tier in tiers.items():
        record = _read_quietly(tier)
        if record is not None and tier.usable(record, now):
            found[key] = (record.value, record.fetched_at)
    locked = [tier.key for key, tier in tiers.items() if key not in found]
    store = next(iter(tiers.values())).store if tiers else SharedStore()
    with store.session(locked, "a batch") if locked else nullcontext() as session:
        if session is not None:
            now = clock()
            for key, tier in tiers.items():
                record = session.read(tier.key) if key not in found else None
                if record is not None and tier.usable(record, now):
                    found[key] = (record.value, record.fetched_at)
        record = None  # a failed fetch's traceback keeps this frame: no value in it
        missing = list(dict.fromkeys(key for key, _, _ in users if key not in found))
        if not missing:
            return found, {}
        began = clock()
        values, errors = fetch(missing)
        for key, user_tier, private in users:
            if key in values and key not in found:
                found[key] = (values[key], began)
                if user_tier is not None and session is not None:
                    hidden = private is not None and private(values[key])
                    record = Record(began, None if hidden else values[key], hidden)
                    keep(session, user_tier.key, record)
        return found, errors


def _read_quietly(tier: SharedValue) -> Record | None:
    try:
        return tier.store.read(tier.key)
    except LambdaCacheError:
        return None
