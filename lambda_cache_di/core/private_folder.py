"""The private folder of the shared tier and the file primitives used inside it.

Standard library only. One folder per user, `LAMBDA_CACHE_DI_DIR` or else
`<gettempdir()>/lambda-cache-di-<uid>`, refused unless it is ours and private.
Inside it: exclusive `fcntl.flock` lock files (the kernel drops a flock when its
holder dies, so a killed process never blocks the rest) and JSON files replaced
atomically (a killed writer never leaves a half-written one). The value store
(`shared.py`) and the S3 copy lock (`fetchers/s3_copy.py`) are built on these.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..errors import FetchError
from .environment import shared_folder

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def refusal(folder: Path, reason: str) -> FetchError:
    """The error for a folder the library will not use: not transient, naming it and why."""
    return FetchError(f"shared folder {folder} refused: {reason}", transient=False)


@contextmanager
def private_directory(folder: Path | None = None) -> Iterator[int]:
    """A descriptor of the folder, created 0700 if missing, checked private; closed on exit.

    The checks run on the descriptor that is then used (`dir_fd=`), and the last
    component is opened with O_NOFOLLOW, so the folder checked is the folder used.
    """
    folder = shared_folder() if folder is None else folder
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True)
    except FileExistsError:
        pass
    except OSError as exc:
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


def file_stem(key: str) -> str:
    """A short file name stem for any key: 32 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@contextmanager
def flocked(dir_fd: int, name: str, timeout: float, what: str) -> Iterator[None]:
    """Hold an exclusive flock on `name` in the folder; the kernel drops it if this process dies.

    Polls without blocking, so a holder that hangs (rather than dies) costs a
    transient FetchError after `timeout` seconds instead of a stuck process.
    """
    try:
        fd = os.open(
            name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE, dir_fd=dir_fd
        )
    except OSError as exc:
        # A full disk, a planted symlink: sharing fails now and may work later.
        raise FetchError(
            f"cannot open the lock of {what} in the shared folder ({exc.strerror})", transient=True
        ) from None
    try:
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise FetchError(
                        f"waited {timeout:g}s for another process fetching {what}", transient=True
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_json(dir_fd: int, name: str) -> Any:
    """The JSON document in `name`, or None when it is absent, not ours, or unreadable."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return json.loads(stream.read())
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)


def write_json(dir_fd: int, name: str, document: Any) -> None:
    """Replace `name` atomically: a fresh 0600 file created exclusively, synced, renamed."""
    data = json.dumps(document, separators=(",", ":")).encode("utf-8")
    temp = create_temporary(dir_fd, name)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
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
