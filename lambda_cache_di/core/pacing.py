"""How long a failing fetch waits before it tries again: every delay of the cache core.

Two kinds of wait, both drawn at random so that environments which failed
together do not come back together:

- the back-off window after failures, during which calls make no request (they
  serve the value in hand or repeat the failure): `backoff_window`;
- the pauses of a throttled fetch with nothing in hand, which keeps trying within
  its throttle wait: `throttle_pause`, and `last_try` for when it stops.

Standard library only. docs/throttling.md gives the figures behind each number.
"""

from __future__ import annotations

import math
from collections.abc import Callable

FIRST_BACKOFF_SECONDS = 1.0
# A throttled fetch with nothing in hand waits rand(0, 1) x min(cap, first x 2**n) before
# try n + 1 ("full jitter"): environments that were refused together do not come back
# together, and each comes back less often the longer the quota stays spent.
THROTTLE_FIRST_PAUSE_SECONDS = 2.0
THROTTLE_PAUSE_CAP_SECONDS = 8.0
# ... except a fetch that already holds part of its answer (a group of several calls,
# some answered): it comes back within this, or within half of what is left of its
# wait when that is shorter. The quota it spent then becomes a value instead of being
# lost when its wait runs out, and the environments that got furthest finish first, as
# a queue would serve them (benchmarks/throttle.py: 1,000 environments).
THROTTLE_FINISHING_PAUSE_SECONDS = 0.5
# A fetch of several calls with none answered makes its last try this long before its
# wait ends, so that a call answered then still has time for the others: without it,
# that last try's answered call was the quota most often lost (docs/throttling.md).
# Within it, a partly served fetch's pauses shrink no further.
THROTTLE_FINISHING_WINDOW_SECONDS = 0.2
# How long such a fetch keeps trying, by default: with prefetch's 4 s at init, an
# answer within API Gateway's 29 s. See docs/throttling.md.
DEFAULT_THROTTLE_WAIT_SECONDS = 24.0


def backoff_window(
    failures: int, throttled: bool, cap: float, rng: Callable[[], float]
) -> float | None:
    """Seconds without a request after `failures` in a row (the last `throttled` or not).

    None: no window yet. One failure is tried again at the next call; a
    throttled one opens the window at once, so the next calls serve what is in
    hand rather than spend the quota again. The window doubles from 1 s,
    stretched by up to a quarter at random (one draw of `rng`, made only when
    a window opens); at `cap` it is shortened by up to a fifth instead, so
    environments never retry in step.
    """
    doublings = failures - (1 if throttled else 2)
    if doublings < 0:
        return None
    draw = rng()
    window = FIRST_BACKOFF_SECONDS * 2.0**doublings * (1.0 + 0.25 * draw)
    return window if window <= cap else cap * (1.0 - 0.2 * draw)


def throttle_pause(
    tries: int, draw: float, partly_served: bool = False, left: float = math.inf
) -> float:
    """The pause after `tries` throttled tries in a row (1 or more); `draw` in [0, 1).

    `left`: the seconds left of the wait, which a partly served fetch's pauses follow.
    """
    if partly_served:
        window = max(left, THROTTLE_FINISHING_WINDOW_SECONDS) / 2
        return draw * min(THROTTLE_FINISHING_PAUSE_SECONDS, window)
    return draw * min(THROTTLE_PAUSE_CAP_SECONDS, THROTTLE_FIRST_PAUSE_SECONDS * 2.0 ** (tries - 1))


def last_try(wait_until: float | None, in_parts: bool, partly_served: bool) -> float | None:
    """When a throttled fetch waiting until `wait_until` makes its last try (None: no wait).

    A fetch of several calls (`in_parts`) with none answered stops
    `THROTTLE_FINISHING_WINDOW_SECONDS` early; any other tries until its wait ends.
    """
    if wait_until is None or not in_parts or partly_served:
        return wait_until
    return wait_until - THROTTLE_FINISHING_WINDOW_SECONDS
