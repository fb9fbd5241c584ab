"""Virtual time for the library's blocking code: many simulated threads, one running at a time.

Each simulated thread (a `Task`) is a real OS thread, but it runs only while it
holds the scheduler's baton. It hands the baton back whenever it would block: in
`sleep(d)` (the clock's `sleep`, which the library and the fake clients call),
on a lock held by another task, on an event, a condition or a future. When no
task can run, the scheduler moves the clock to the earliest wake-up. So a
thousand environments waiting out a back-off cost no real time, and because
exactly one task runs at any moment and ties are broken by the order of
arrival, every run with the same seed is the same run.

`patched()` swaps the library's blocking primitives (its modules' `threading`
and `concurrent.futures` names) for the ones here while the simulation runs:
the library's code is otherwise untouched.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION
from contextlib import contextmanager
from typing import Any, NamedTuple

# A task's OS thread needs little stack: library frames and a fake client.
TASK_STACK_BYTES = 1 << 20


class Deadlock(RuntimeError):
    """Every task waits on another and no timer is pending: the simulation cannot go on."""


class Task:
    """One simulated thread: runs `function` when the scheduler hands it the baton."""

    def __init__(self, scheduler: Scheduler, function: Callable[[], Any], name: str) -> None:
        self.scheduler = scheduler
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._go = threading.Semaphore(0)
        self._joiners: list[Task] = []
        self._function = function
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def _main(self) -> None:
        self._go.acquire()
        self.scheduler.local.task = self
        try:
            self.result = self._function()
        except BaseException as exc:  # kept for whoever joins; the run goes on
            self.error = exc
        self.done = True
        for joiner in self._joiners:
            self.scheduler.ready(joiner)
        self._joiners.clear()
        self.scheduler.baton_back()

    def join(self) -> Any:
        """Wait (in virtual time) until the task has returned; its result."""
        if not self.done:
            self._joiners.append(self.scheduler.current())
            self.scheduler.block()
        return self.result


class Scheduler:
    """The clock, the run queue and the timers of one simulation.

    Call it for the time; `sleep(seconds)` from a task; `spawn` to start a task
    at once or at a given time; `run()` from the main thread until every task
    has ended.
    """

    def __init__(self, start: float = 0.0, max_tasks: int = 100_000) -> None:
        self.now = start
        self.local = threading.local()
        self.tasks_started = 0
        self._max_tasks = max_tasks
        self._ready: deque[Task] = deque()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._hub = threading.Semaphore(0)
        self._alive = 0

    def __call__(self) -> float:
        return self.now

    # -- from tasks -------------------------------------------------------------

    def current(self) -> Task:
        task: Task | None = getattr(self.local, "task", None)
        if task is None:
            raise RuntimeError("virtual-time blocking outside a simulated task")
        return task

    def sleep(self, seconds: float) -> None:
        """Block the calling task for `seconds` of virtual time (a tie keeps arrival order)."""
        task = self.current()
        self.at(self.now + max(0.0, seconds), lambda: self.ready(task))
        self.block()

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Call `action` (in the scheduler, between tasks) when the clock reaches `when`."""
        heapq.heappush(self._timers, (when, next(self._order), action))

    def ready(self, task: Task) -> None:
        self._ready.append(task)

    def block(self) -> None:
        """Hand the baton back and wait until the scheduler resumes the calling task."""
        task = self.current()
        self._hub.release()
        task._go.acquire()

    def baton_back(self) -> None:
        self._alive -= 1
        self._hub.release()

    def spawn(self, function: Callable[[], Any], at: float | None = None, name: str = "") -> Task:
        """A new task, runnable now or at virtual time `at`."""
        if self.tasks_started >= self._max_tasks:
            raise RuntimeError(f"more than {self._max_tasks} simulated tasks")
        self.tasks_started += 1
        task = Task(self, function, name or f"sim-{self.tasks_started}")
        size = threading.stack_size(TASK_STACK_BYTES)
        try:
            task._thread.start()
        finally:
            threading.stack_size(size)
        self._alive += 1
        if at is None or at <= self.now:
            self.ready(task)
        else:
            self.at(at, lambda: self.ready(task))
        return task

    # -- from the main thread ---------------------------------------------------

    def run(self, real_timeout: float = 60.0) -> None:
        """Run tasks, moving the clock between them, until none is left.

        A task that blocks on something this module does not know (a real lock
        held by a task that sleeps) would hang the run: after `real_timeout`
        seconds of real time without the baton coming back, Deadlock is raised.
        """
        while self._alive:
            if not self._ready:
                if not self._timers:
                    raise Deadlock(f"{self._alive} tasks wait on each other at t={self.now:.3f}")
                when, _, action = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                action()
                continue
            task = self._ready.popleft()
            task._go.release()
            if not self._hub.acquire(timeout=real_timeout):
                raise Deadlock(f"a task blocked outside virtual time at t={self.now:.3f}")


# -- blocking primitives in virtual time ----------------------------------------


_WAITING, _WOKEN, _TIMED_OUT = 0, 1, 2


class _Waiters:
    """Tasks blocked on something, each woken once: by a release or by its timeout."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.queue: deque[list[Any]] = deque()  # [task, state]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until woken (True) or until `timeout` passes (False)."""
        scheduler = self.scheduler
        entry = [scheduler.current(), _WAITING]
        self.queue.append(entry)
        if timeout is not None:
            scheduler.at(scheduler.now + max(0.0, timeout), lambda: self._time_out(entry))
        scheduler.block()
        return entry[1] == _WOKEN

    def _time_out(self, entry: list[Any]) -> None:
        if entry[1] == _WAITING:
            entry[1] = _TIMED_OUT
            self.queue.remove(entry)
            self.scheduler.ready(entry[0])

    def pop(self) -> Task | None:
        """The first task still waiting, woken; None when there is none."""
        while self.queue:
            entry = self.queue.popleft()
            if entry[1] == _WAITING:
                entry[1] = _WOKEN
                self.scheduler.ready(entry[0])
                return entry[0]  # type: ignore[no-any-return]
        return None

    def wake_one(self) -> bool:
        return self.pop() is not None

    def wake_all(self) -> None:
        while self.wake_one():
            pass


class Lock:
    """A non-reentrant lock whose waiters block in virtual time, served in arrival order."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._owner: Task | None = None
        self._waiters = _Waiters(scheduler)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        task = self._scheduler.current()
        if self._owner is None:
            self._owner = task
            return True
        if not blocking:
            return False
        # Ownership is handed over by release().
        return self._waiters.wait(None if timeout < 0 else timeout)

    def release(self) -> None:
        if self._owner is None:
            raise RuntimeError("release of an unlocked lock")
        # Handed straight to the first waiter, so that arrival order is kept.
        self._owner = self._waiters.pop()

    def locked(self) -> bool:
        return self._owner is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class RLock(Lock):
    """A reentrant lock in virtual time."""

    def __init__(self, scheduler: Scheduler) -> None:
        super().__init__(scheduler)
        self._depth = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._owner is not None and self._owner is self._scheduler.current():
            self._depth += 1
            return True
        got = super().acquire(blocking, timeout)
        if got:
            self._depth = 1
        return got

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            super().release()
            if self._owner is not None:
                self._depth = 1


class Event:
    """An event whose waiters block in virtual time."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._flag = False
        self._waiters = _Waiters(scheduler)

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        self._waiters.wake_all()

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        if not self._flag:
            self._waiters.wait(timeout)
        return self._flag


class Condition:
    """A condition variable over a virtual-time lock."""

    def __init__(self, scheduler: Scheduler, lock: Lock | None = None) -> None:
        self._lock = lock if lock is not None else RLock(scheduler)
        self._waiters = _Waiters(scheduler)

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        depth = getattr(self._lock, "_depth", 1)
        for _ in range(depth):
            self._lock.release()
        woken = self._waiters.wait(timeout)
        for _ in range(depth):
            self._lock.acquire()
        return woken

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        deadline = None if timeout is None else self._waiters.scheduler.now + timeout
        result = predicate()
        while not result:
            left = None if deadline is None else deadline - self._waiters.scheduler.now
            if left is not None and left <= 0:
                break
            self.wait(left)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        for _ in range(n):
            if not self._waiters.wake_one():
                return

    def notify_all(self) -> None:
        self._waiters.wake_all()


class Future:
    """A `concurrent.futures.Future` stand-in whose waits are virtual."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._done = Event(scheduler)
        self._result: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], Any]] = []

    def set_result(self, result: Any) -> None:
        self._result = result
        self._finish()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._finish()

    def _finish(self) -> None:
        self._done.set()
        for callback in self._callbacks:
            callback(self)

    def add_done_callback(self, callback: Callable[[Future], Any]) -> None:
        if self._done.is_set():
            callback(self)
        else:
            self._callbacks.append(callback)

    def done(self) -> bool:
        return self._done.is_set()

    def running(self) -> bool:
        return not self.done()

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not self._done.wait(timeout):
            raise TimeoutError("future not done in time (virtual)")
        return self._error

    def result(self, timeout: float | None = None) -> Any:
        error = self.exception(timeout)
        if error is not None:
            raise error
        return self._result


class Executor:
    """A `ThreadPoolExecutor` stand-in: each submitted call is a task of its own.

    A pool of `max_workers` threads would queue calls beyond that number; the
    library's pools are sized to their work, so this one starts every call at once.
    """

    def __init__(self, scheduler: Scheduler, max_workers: int | None = None, **_: Any) -> None:
        self._scheduler = scheduler
        self._tasks: list[Task] = []
        self._slots = Semaphore(scheduler, max_workers or 32)

    def submit(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future = Future(self._scheduler)

        def call() -> None:
            with self._slots:
                try:
                    future.set_result(function(*args, **kwargs))
                except BaseException as exc:
                    future.set_exception(exc)

        self._tasks.append(self._scheduler.spawn(call))
        return future

    def map(self, function: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        futures = [self.submit(function, *args) for args in zip(*iterables, strict=False)]
        return (future.result() for future in futures)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        if wait:
            for task in self._tasks:
                task.join()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=True)


class Semaphore:
    """A counting semaphore in virtual time."""

    def __init__(self, scheduler: Scheduler, value: int = 1) -> None:
        self._value = value
        self._waiters = _Waiters(scheduler)

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if self._value > 0:
            self._value -= 1
            return True
        if not blocking:
            return False
        return self._waiters.wait(timeout)  # a release handed its count over

    def release(self) -> None:
        if not self._waiters.wake_one():
            self._value += 1

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class DoneAndNotDone(NamedTuple):
    done: set[Future]
    not_done: set[Future]


def wait_futures(
    scheduler: Scheduler,
    futures: Iterable[Future],
    timeout: float | None = None,
    return_when: str = ALL_COMPLETED,
) -> DoneAndNotDone:
    """`concurrent.futures.wait` in virtual time."""
    pending = list(futures)
    deadline = None if timeout is None else scheduler.now + timeout
    wakeup = Event(scheduler)
    for future in pending:
        future.add_done_callback(lambda _: wakeup.set())
    while True:
        done = {f for f in pending if f.done()}
        if len(done) == len(pending):
            break
        if return_when == FIRST_COMPLETED and done:
            break
        if return_when == FIRST_EXCEPTION and any(f._error is not None for f in done):
            break
        left = None if deadline is None else deadline - scheduler.now
        if left is not None and left <= 0:
            break
        wakeup.clear()
        wakeup.wait(left)
    return DoneAndNotDone(done, set(pending) - done)


def as_completed(
    scheduler: Scheduler, futures: Iterable[Future], timeout: float | None = None
) -> Iterator[Future]:
    pending = set(futures)
    while pending:
        done, pending = wait_futures(scheduler, pending, timeout, FIRST_COMPLETED)
        if not done:
            raise TimeoutError("futures not done in time (virtual)")
        yield from done


class Thread:
    """A `threading.Thread` stand-in: `start()` makes a task of it, `join` waits virtually."""

    def __init__(
        self,
        scheduler: Scheduler,
        group: None = None,
        target: Callable[..., Any] | None = None,
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        daemon: bool | None = None,
    ) -> None:
        self._scheduler = scheduler
        self._target = target
        self._args = args
        self._kwargs = kwargs or {}
        self.name = name or "virtual"
        self.daemon = bool(daemon)
        self._done = Event(scheduler)

    def run(self) -> None:
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def start(self) -> None:
        def body() -> None:
            try:
                self.run()
            finally:
                self._done.set()

        self._scheduler.spawn(body, name=self.name)

    def join(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)

    def is_alive(self) -> bool:
        return not self._done.is_set()


def threading_module(scheduler: Scheduler) -> types.SimpleNamespace:
    """What a library module sees as `threading` during a simulation."""
    return types.SimpleNamespace(
        Lock=lambda: Lock(scheduler),
        RLock=lambda: RLock(scheduler),
        Event=lambda: Event(scheduler),
        Condition=lambda lock=None: Condition(scheduler, lock),
        Semaphore=lambda value=1: Semaphore(scheduler, value),
        BoundedSemaphore=lambda value=1: Semaphore(scheduler, value),
        Thread=lambda *a, **k: Thread(scheduler, *a, **k),
        local=threading.local,
        get_ident=threading.get_ident,
        current_thread=threading.current_thread,
        main_thread=threading.main_thread,
        TIMEOUT_MAX=threading.TIMEOUT_MAX,
    )


def _replacements(scheduler: Scheduler) -> dict[str, Any]:
    import concurrent.futures as futures_module

    return {
        "threading": (threading, threading_module(scheduler)),
        "ThreadPoolExecutor": (
            futures_module.ThreadPoolExecutor,
            lambda *a, **k: Executor(scheduler, *a, **k),
        ),
        "Future": (futures_module.Future, lambda: Future(scheduler)),
        "wait": (futures_module.wait, lambda *a, **k: wait_futures(scheduler, *a, **k)),
        "as_completed": (
            futures_module.as_completed,
            lambda *a, **k: as_completed(scheduler, *a, **k),
        ),
    }


@contextmanager
def patched(scheduler: Scheduler, package: str = "lambda_cache_di") -> Iterator[None]:
    """The package's modules block in virtual time while the block runs.

    Only names bound to the real `threading` module or to the real
    `concurrent.futures` objects are swapped, and all are put back.
    """
    swapped: list[tuple[Any, str, Any]] = []
    replacements = _replacements(scheduler)
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        for attribute, (real, virtual) in replacements.items():
            if getattr(module, attribute, None) is real:
                swapped.append((module, attribute, real))
                setattr(module, attribute, virtual)
    try:
        yield
    finally:
        for module, attribute, real in swapped:
            setattr(module, attribute, real)
