"""Calls of one refresh made at once, so that a group of n calls costs one round trip.

A group provider's refresh needs one request per ten parameters or twenty
secrets. Made one after another they cost one round trip each; made here, the
first on the calling thread and the rest on a short-lived pool, they cost the
slowest one. A single group runs on the calling thread and starts no thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

Group = TypeVar("Group")
Result = TypeVar("Result")

# Extra threads per refresh. With the calling thread that makes at most nine
# requests in flight, under the ten connections of botocore's default pool.
MAX_GROUP_THREADS = 8


def map_groups(
    function: Callable[[Group], Result],
    groups: Sequence[Group],
    *,
    max_threads: int = MAX_GROUP_THREADS,
    on_served: Callable[[Result], None] | None = None,
    one_at_a_time: bool = False,
) -> list[Result]:
    """`function` over every group at once; the results in the order of `groups`.

    Returns only when every call has ended. If any raised, the error of the
    first failing group (in order) is raised and no result is returned; the
    results of the others are dropped before it propagates, so that no value
    fetched by a sibling call is left in this frame's locals. Before that,
    `on_served` gets each result that did arrive, so that a retry of the failed
    calls need not send the served ones again (a throttled quota spares them).

    `one_at_a_time`: the calls in order on the calling thread, none after the
    first that fails (for a quota that is throttling: see docs/throttling.md).
    """
    if one_at_a_time:
        return _in_order(function, groups, on_served)
    if len(groups) < 2:
        return [function(group) for group in groups]
    workers = max(1, min(max_threads, len(groups) - 1))
    with ThreadPoolExecutor(workers, thread_name_prefix="lambda-cache-di-group") as pool:
        others = [pool.submit(function, group) for group in groups[1:]]
        first: Future[Result] = Future()
        try:
            first.set_result(function(groups[0]))
        except Exception as exc:
            first.set_exception(exc)
        wait(others)
    futures = [first, *others]
    failed = next((f.exception() for f in futures if f.exception() is not None), None)
    if failed is None:
        return [future.result() for future in futures]
    if on_served is not None:
        _hand_over(on_served, [f.result() for f in futures if f.exception() is None])
    # The error's traceback keeps this frame: let go of the futures holding values.
    del first, others, futures
    raise failed


def _in_order(
    function: Callable[[Group], Result],
    groups: Sequence[Group],
    on_served: Callable[[Result], None] | None,
) -> list[Result]:
    results: list[Result] = []
    try:
        for group in groups:
            results.append(function(group))
    except Exception:
        if on_served is not None:
            _hand_over(on_served, results)
        results.clear()  # as above: no value left in this frame for the traceback
        raise
    return results


def _hand_over(on_served: Callable[[Result], None], results: list[Result]) -> None:
    # A loop of its own: its variable holds a value, and this frame ends before the raise.
    for result in results:
        on_served(result)
