"""The shared tier: values and locks that the processes of one execution environment share.

Standard library only. Lambda Managed Instances run one process per concurrent
request, all sharing `/tmp`. A value fetched by one of them is written to a file
of its own in a private folder, with the time of the original fetch; a per-key
lock file, held with `fcntl.flock`, lets one process fetch while the others
wait. The kernel drops a flock when its holder dies, so a killed process never
blocks the rest, and every file is replaced atomically, so a killed writer never
leaves a half-written value behind.

Ages count on the provider's clock, by default `time.monotonic`. On Linux that
is CLOCK_MONOTONIC, one clock for the whole machine, so an age written by one
process means the same in every other. A record from the future (another clock)
counts as absent.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FetchError

DIR_VARIABLE = "LAMBDA_CACHE_DI_DIR"
SHARED_VARIABLE = "LAMBDA_CACHE_DI_SHARED"
CONCURRENCY_VARIABLE = "AWS_LAMBDA_MAX_CONCURRENCY"
FOLDER_MODE = 0o700
FILE_MODE = 0o600
DEFAULT_LOCK_TIMEOUT = 30.0
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


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


def resolve_shared(shared: bool | None, by_default: bool) -> bool:
    """Whether a provider shares: as said, or for `None` by the auto rule when `by_default`."""
    if shared is None:
        return by_default and sharing_wanted()
    return shared


def shared_directory() -> Path:
    """`LAMBDA_CACHE_DI_DIR`, else `<tempdir>/lambda-cache-di-<uid>`, read now (nothing created)."""
    given = os.environ.get(DIR_VARIABLE, "")
    if given:
        return Path(given).absolute()
    return Path(tempfile.gettempdir()) / f"lambda-cache-di-{os.getuid()}"


def refusal(folder: Path, reason: str) -> FetchError:
    """The error for a folder the library will not use: not transient, naming it and why."""
    return FetchError(f"shared folder {folder} refused: {reason}", transient=False)


@contextmanager
def private_directory(folder: Path | None = None) -> Iterator[int]:
    """A descriptor of the folder, created 0700 if missing, checked private; closed on exit.

    The checks run on the descriptor that is then used (`dir_fd=`), and the last
    component is opened with O_NOFOLLOW, so the folder checked is the folder used.
    """
    folder = shared_directory() if folder is None else folder
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


# -- values ---------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A raw fetched value as JSON: text, lists, dicts (tagged) and bytes (base64, tagged)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"d": {key: encode(item) for key, item in value.items()}}
    raise TypeError(f"{type(value).__name__} is not a value the shared tier stores")


def decode(document: Any) -> Any:
    """The value `encode` wrote; ValueError for anything else."""
    if isinstance(document, str):
        return document
    if isinstance(document, list):
        return [decode(item) for item in document]
    if isinstance(document, dict) and len(document) == 1:
        if "b" in document:
            return base64.b64decode(document["b"], validate=True)
        if "d" in document and isinstance(document["d"], dict):
            return {key: decode(item) for key, item in document["d"].items()}
    raise ValueError("not a stored value")


@dataclass(frozen=True)
class Record:
    """A value shared by the processes, and when it was fetched (provider clock).

    `private` marks a value that must not be shared (a SecureString found under
    the auto rule): the record then holds no value, only that fact, so the other
    processes stop waiting on the lock for it.
    """

    fetched_at: float
    value: Any = None
    private: bool = False

    def fresh(self, now: float, max_age: float) -> bool:
        return 0.0 <= now - self.fetched_at < max_age


class SharedStore:
    """Values keyed by text, one JSON file and one lock file per key, in the private folder.

    The folder is looked up at each operation (`LAMBDA_CACHE_DI_DIR` may be set
    after import) unless given.
    """

    def __init__(self, folder: Path | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.folder = folder
        self.lock_timeout = lock_timeout

    def read(self, key: str) -> Record | None:
        """The record of `key` without taking its lock (files are replaced atomically)."""
        with private_directory(self.folder) as dir_fd:
            return _record(read_json(dir_fd, file_stem(key) + ".json"))

    def remove(self, key: str) -> None:
        """Forget the shared value of `key`, under its lock so no writer races the removal."""
        with self.session([key]) as session:
            session.remove(key)

    @contextmanager
    def session(self, keys: Sequence[str], what: str = "a shared value") -> Iterator[Session]:
        """Hold the locks of `keys`, taken in sorted order so groups never deadlock."""
        with private_directory(self.folder) as dir_fd, ExitStack() as stack:
            for stem in sorted({file_stem(key) for key in keys}):
                stack.enter_context(flocked(dir_fd, stem + ".lock", self.lock_timeout, what))
            yield Session(dir_fd)


class Session:
    """Reads and writes of records while their locks are held."""

    def __init__(self, dir_fd: int) -> None:
        self._dir_fd = dir_fd

    def read(self, key: str) -> Record | None:
        return _record(read_json(self._dir_fd, file_stem(key) + ".json"))

    def write(self, key: str, record: Record) -> None:
        document: dict[str, Any] = {"fetched_at": record.fetched_at}
        if record.private:
            document["private"] = True
        else:
            document["value"] = encode(record.value)
        write_json(self._dir_fd, file_stem(key) + ".json", document)

    def remove(self, key: str) -> None:
        remove_quietly(self._dir_fd, file_stem(key) + ".json")


def _record(document: Any) -> Record | None:
    """A record from a parsed file; None for anything damaged (it is then replaced)."""
    if not isinstance(document, dict):
        return None
    fetched_at = document.get("fetched_at")
    if isinstance(fetched_at, bool) or not isinstance(fetched_at, (int, float)):
        return None
    if document.get("private") is True:
        return Record(float(fetched_at), private=True)
    if "value" not in document:
        return None
    try:
        return Record(float(fetched_at), decode(document["value"]))
    except (ValueError, TypeError):
        return None


Clock = Callable[[], float]


class SharedValue:
    """One cached value's place in the store: a fetch made once for all the processes.

    `load()` serves a fresh record written by any process; otherwise it takes
    the key's lock, reads again (another process may have just fetched), and
    only then fetches and writes. Failures are not written: each process keeps
    its own back-off. `private(value)` tells which values must never be written
    (SecureString under the auto rule); for those only a marker is written, so
    that the other processes fetch on their own without waiting on the lock.
    """

    def __init__(
        self,
        store: SharedStore,
        key: str,
        fetch: Callable[[], Any],
        clock: Callable[[], Clock],
        max_age: float,
        *,
        what: str,
        private: Callable[[Any], bool] | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self._fetch = fetch
        self._clock = clock
        self._max_age = max_age
        self._what = what
        self._private = private
        self._known_private = False

    @property
    def max_age(self) -> float:
        """How long a shared record of this value stays fresh."""
        return self._max_age

    def load(self, force: bool = False) -> tuple[Any, float]:
        """The value and when it was fetched: a fresh shared one, else one fetched now.

        No record is ever bound to a local here: a failed fetch's traceback keeps
        this frame, and a shared secret must not ride along in it.
        """
        clock = self._clock()
        if not force and not self._known_private:
            hit = self._served(self.store.read(self.key), clock)
            if hit is not None:
                return hit
        if self._known_private:
            return self._fetch_now(clock)
        with self.store.session([self.key], self._what) as session:
            if not force:
                hit = self._served(session.read(self.key), clock)
                if hit is not None:
                    return hit
            value, fetched_at = self._fetch_now(clock)
            private = self._private is not None and self._private(value)
            self._known_private = private
            keep(session, self.key, Record(fetched_at, None if private else value, private))
            return value, fetched_at

    def _served(self, record: Record | None, clock: Clock) -> tuple[Any, float] | None:
        """A fresh record's value and time; None (learning a private mark) otherwise."""
        if record is None or not record.fresh(clock(), self._max_age):
            return None
        if record.private:
            self._known_private = True
            return None
        return record.value, record.fetched_at

    def _fetch_now(self, clock: Clock) -> tuple[Any, float]:
        began = clock()
        return self._fetch(), began

    def forget(self, before: float) -> None:
        """Remove the shared record if it was fetched at or before `before` (not a newer one)."""
        self._known_private = False
        with self.store.session([self.key], self._what) as session:
            record = session.read(self.key)
            if record is None or record.fetched_at <= before:
                session.remove(self.key)


def keep(session: Session, key: str, record: Record) -> None:
    """Write a record if possible: a full disk or an odd value costs sharing, never the value."""
    with suppress(OSError, TypeError):
        session.write(key, record)
