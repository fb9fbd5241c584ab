"""Every environment variable the library reads, in one place, and the SnapStart restored flag.

Standard library only. Each function reads the variable at the moment it is
called (a test or a handler may set one after import); nothing is cached here
but the restored flag, which the environment cannot tell (a restored process
still says "snap-start").

| variable | read by | meaning |
|---|---|---|
| `LAMBDA_CACHE_DI_MAX_AGE` | `max_age_text()` | default `max_age_in_seconds` |
| `LAMBDA_CACHE_DI_SHARED` | `sharing_wanted()` | `1`/`0`: share across processes or not |
| `AWS_LAMBDA_MAX_CONCURRENCY` | `sharing_wanted()` | > 1: several worker processes |
| `LAMBDA_CACHE_DI_DIR` | `shared_folder()` | the private folder of the shared tier |
| `AWS_LAMBDA_INITIALIZATION_TYPE` | `in_snapstart_init()` | `snap-start` during a SnapStart init |
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

MAX_AGE_VARIABLE = "LAMBDA_CACHE_DI_MAX_AGE"
SHARED_VARIABLE = "LAMBDA_CACHE_DI_SHARED"
CONCURRENCY_VARIABLE = "AWS_LAMBDA_MAX_CONCURRENCY"
DIR_VARIABLE = "LAMBDA_CACHE_DI_DIR"
INITIALIZATION_TYPE_VARIABLE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAPSTART_INITIALIZATION = "snap-start"

# Set once the runtime restored this process from a SnapStart snapshot.
_restored: list[bool] = []


def max_age_text() -> str | None:
    """`LAMBDA_CACHE_DI_MAX_AGE` as set (None or blank: not set); the providers check it."""
    raw = os.environ.get(MAX_AGE_VARIABLE)
    return None if raw is None or not raw.strip() else raw


def sharing_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """The auto rule: `AWS_LAMBDA_MAX_CONCURRENCY` > 1, or `LAMBDA_CACHE_DI_SHARED=1`.

    `LAMBDA_CACHE_DI_SHARED=0` turns sharing off whatever the concurrency.
    """
    env = os.environ if environ is None else environ
    switch = env.get(SHARED_VARIABLE, "").strip()
    if switch in ("0", "1"):
        return switch == "1"
    try:
        return int(env.get(CONCURRENCY_VARIABLE, "").strip()) > 1
    except ValueError:
        return False


def shared_folder() -> Path:
    """`LAMBDA_CACHE_DI_DIR`, else `<tempdir>/lambda-cache-di-<uid>`, read now (nothing created)."""
    given = os.environ.get(DIR_VARIABLE, "")
    if given:
        return Path(given).absolute()
    return Path(tempfile.gettempdir()) / f"lambda-cache-di-{os.getuid()}"


def in_snapstart_init() -> bool:
    """Whether this process is in a SnapStart init: its memory will be written to a snapshot."""
    snapstart = os.environ.get(INITIALIZATION_TYPE_VARIABLE) == SNAPSTART_INITIALIZATION
    return snapstart and not _restored


def mark_restored() -> None:
    """Note that the process runs from a restored snapshot (called by the after-restore hook)."""
    if not _restored:
        _restored.append(True)


def forget_restored() -> None:
    """Back to a process never restored (for tests that run several SnapStart inits)."""
    _restored.clear()
