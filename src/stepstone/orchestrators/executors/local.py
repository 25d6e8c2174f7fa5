"""Executors on this machine: in process, in a thread pool, in a process pool.

An executor is a :class:`concurrent.futures.Executor`; the driver submits
``run_task(task)`` and waits on the futures. :class:`LocalExecutor` runs each task in the
calling process at submit time: the same driver code path, fully synchronous, easy to
debug. :class:`ProcessPool` is a process pool that survives a worker dying under a step,
and streams what its steps print to the driver's console while they run.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from stepstone.execution.live import LiveChannel, install_pipe, read_pipe

T = TypeVar("T")


class LocalExecutor(Executor):
    """Runs each submitted call immediately, in this process, and returns a done future."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        return future


class ProcessPool(Executor):
    """A process pool that replaces itself when a worker process died.

    A worker killed under a step (out of memory, a crash in native code) breaks a
    :class:`ProcessPoolExecutor` for good: every later submit raises. The steps in flight
    fail with :class:`BrokenProcessPool` (reported as "worker died"); the next submit, a
    retry or a step of the next run, gets a fresh pool. Workers are *spawned*, not forked:
    they start with a clean interpreter, as a remote worker does, and a driver with threads
    (a live progress display, a database pool) is never forked mid-lock.

    Each worker process gets the write end of one pipe when it starts; a step's output goes
    there as it prints (see :mod:`stepstone.execution.live`), and a thread of the driver
    writes it to the driver's console.
    """

    live = LiveChannel("pipe")

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._context = multiprocessing.get_context("spawn")
        self._lines, self._lines_in = self._context.Pipe(duplex=False)
        self._reader = threading.Thread(
            target=read_pipe, args=(self._lines,), name="stepstone-live-lines", daemon=True
        )
        self._reader.start()
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.max_workers,
            mp_context=self._context,
            initializer=install_pipe,
            initargs=(self._lines_in,),
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
            # Once the workers exited, the end of their lines; workers still running (no
            # wait) keep a reader, or they would block on a full pipe.
            if wait and self._reader.is_alive():
                self._lines_in.send_bytes(b"")
                self._reader.join()
                self._lines_in.close()
                self._lines.close()
