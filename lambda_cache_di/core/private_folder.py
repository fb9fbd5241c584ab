"""The private folder of the shared tier and the file primitives used inside it.

Standard library only. One folder per user, `LAMBDA_CACHE_DI_DIR` or else
`<gettempdir()>/lambda-cache-di-<uid>`, refused unless it is ours and private.
Inside it: exclusive `fcntl.flock` lock files (the kernel drops a flock when its
holder dies, so a killed process never blocks the rest) and JSON files replaced
atomically (a killed writer never leaves a half-written one). The value store
(`shared.py`) and the S3 copy lock (`fetchers/s3_copy.py`) are built on these.
Reads are bounded in size and depth before parsing (`records.py`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import FetchError
from .environment import shared_folder

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# A full disk or quota, out of inodes: the tier is skipped for the call, not the fetch failed.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


class TierUnavailable(FetchError):
    """The shared tier cannot be used for this call (no space, a planted lock file).

    Never leaves `core/`: the store catches it and the call goes without the tier.
    """


def refusal(folder: Path, reason: str) -> FetchError:
    """The error for a folder the library will not use: not transient, naming it and why."""
    return FetchError(f"shared folder {folder} refused: {reason}", transient=False)


def make_private_folders(folder: Path) -> None:
    """Create `folder` and each missing parent with mode 0700 (`mkdir(parents=True)` gives 0755)."""
    missing = []
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    for path in reversed(missing):
        with suppress(FileExistsError):
            os.mkdir(path, FOLDER_MODE)


@contextmanager
def private_directory(folder: Path | None = None) -> Iterator[int]:
    """A descriptor of the folder, created 0700 if missing, checked private; closed on exit.

    The checks run on the descriptor that is then used (`dir_fd=`), and the last
    component is opened with O_NOFOLLOW, so the folder checked is the folder used.
    """
    folder = shared_folder() if folder is None else folder
    try:
        make_private_folders(folder)
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            reason = f"shared folder {folder} cannot be created ({exc.strerror})"
            raise TierUnavailable(reason, transient=True) from None
        raise refusal(folder, f"cannot be created ({exc.strerror})") from None
    try:
        fd = os.open(folder, _DIR_FLAGS)
    except OSError as exc:
        raise refusal(folder, _why_not_opened(folder, exc)) from None
    try:
        _check_private(folder, os.fstat(fd))
        yield fd
    finally:
        os.close(fd)


def _why_not_opened(folder: Path, exc: OSError) -> str:
    try:
        info = os.lstat(folder)
    except OSError:
        return f"cannot be opened ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    return f"cannot be opened ({exc.strerror})"


def _check_private(folder: Path, info: os.stat_result) -> None:
    if info.st_uid != os.getuid():
        raise refusal(folder, f"owned by uid {info.st_uid}, not by uid {os.getuid()}")
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise refusal(folder, f"mode {mode:04o} grants access to group or others")


def remove_from_refused(folder: Path | None, names: list[str]) -> bool:
    """Unlink `names` from a refused folder that is still a real folder of ours; whether it was.

    Removing a name never follows a link nor reads a byte, so a folder refused
    for its mode (say, someone ran `chmod 777`) can still lose what we wrote there.
    """
    folder = shared_folder() if folder is None else folder
    try:
        fd = os.open(folder, _DIR_FLAGS)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_uid != os.getuid():
            return False
        for name in names:
            remove_quietly(fd, name)
        return True
    finally:
        os.close(fd)


def file_stem(key: str) -> str:
    """A short file name stem for any key: 32 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# Lock descriptors open in this process. A child forked while one is held would
# keep the lock alive as long as it lives (flock belongs to the open file, which
# the child shares): the child closes its copies at once. The guard keeps a fork
# from falling between the open and the bookkeeping.
_held_locks: set[int] = set()
_fork_guard = threading.Lock()


def _drop_inherited_locks() -> None:
    for fd in _held_locks:
        with suppress(OSError):
            os.close(fd)
    _held_locks.clear()
    _release_guard()


def _release_guard() -> None:
    with suppress(RuntimeError):
        _fork_guard.release()


os.register_at_fork(
    before=_fork_guard.acquire,
    after_in_parent=_release_guard,
    after_in_child=_drop_inherited_locks,
)


def _open_lock(dir_fd: int, name: str, what: str) -> int:
    """Open (or create) a lock file; TierUnavailable when that is impossible or not a file."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    with _fork_guard:
        try:
            fd = os.open(name, flags, FILE_MODE, dir_fd=dir_fd)
        except OSError as exc:
            # A full disk, a planted symlink or folder: sharing fails now and may work later.
            raise TierUnavailable(
                f"cannot open the lock of {what} in the shared folder ({exc.strerror})",
                transient=True,
            ) from None
        _held_locks.add(fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        _close_lock(fd)
        raise TierUnavailable(
            f"the lock of {what} in the shared folder is not a file of ours", transient=True
        )
    return fd


def _close_lock(fd: int) -> None:
    _held_locks.discard(fd)
    os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def flocked(
    dir_fd: int, name: str, timeout: float, what: str, deadline: float | None = None
) -> Iterator[None]:
    """Hold an exclusive flock on `name` in the folder; the kernel drops it if this process dies.

    Polls without blocking until `deadline` (a `time.monotonic()` reading, by
    default `timeout` seconds from now), so a holder that hangs (rather than
    dies) costs a transient FetchError instead of a stuck process. A lock that
    cannot be opened raises TierUnavailable.
    """
    fd = _open_lock(dir_fd, name, what)
    owner = os.getpid()
    try:
        _wait_for(fd, time.monotonic() + timeout if deadline is None else deadline, timeout, what)
        yield
    finally:
        if os.getpid() == owner:  # a forked child closed its copy when it started
            _close_lock(fd)


def _wait_for(fd: int, deadline: float, timeout: float, what: str) -> None:
    pause = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise FetchError(
                    f"waited {timeout:g}s for another process fetching {what}", transient=True
                ) from None
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 2, 0.05)


def write_json_bytes(dir_fd: int, name: str, data: bytes, temp: str) -> None:
    """Replace `name` atomically through `temp`: a fresh 0600 file, synced, renamed.

    `temp` is the one temporary name of `name`, so the caller must hold the lock
    that serialises the writers of `name`; a leftover of a dead writer is replaced.
    """
    remove_quietly(dir_fd, temp)
    try:
        fd = os.open(
            temp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            FILE_MODE,
            dir_fd=dir_fd,
        )
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        remove_quietly(dir_fd, temp)
        raise


def create_temporary(dir_fd: int, stem: str) -> str:
    """Create an empty 0600 file named `.<stem>.<random>.part`, exclusively; return its name."""
    while True:
        name = f".{stem}.{os.urandom(4).hex()}.part"
        try:
            fd = os.open(
                name,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                FILE_MODE,
                dir_fd=dir_fd,
            )
        except FileExistsError:
            continue
        os.close(fd)
        return name


def remove_quietly(dir_fd: int, name: str) -> None:
    """Remove a file if it is there; a cleanup must never hide the error being handled."""
    with suppress(OSError):
        os.unlink(name, dir_fd=dir_fd)
