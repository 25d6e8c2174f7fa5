"""A process pool on this machine that survives a worker dying under a step.

It streams what its steps print to the driver's console while they run. Kept apart from
:mod:`.local` because it needs :mod:`multiprocessing` and the process pool of
:mod:`concurrent.futures`, which cost a run in process ~10 ms of imports it has no use for.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from stepstone.execution.live import LiveChannel, install_pipe, read_pipe, send_end

T = TypeVar("T")


def _call_then_end(
    token: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[bool, Any, Exception | None]:
    """In a pool process: ``fn``'s outcome, once the end of the call follows its lines."""
    try:
        result, error = fn(*args, **kwargs), None
    except Exception as exc:
        result, error = None, exc
    return send_end(token), result, error


@dataclass(slots=True)
class _Delivery:
    """A call in the pool: its future, and the two things it waits for."""

    outer: Future[Any]
    inner: Future[Any] | None = None
    ended: bool = False


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
    writes it to the driver's console. A call's result is handed on only once the end of the
    call came through the pipe, behind its lines: a step's last line is on the console
    before the driver says it finished.
    """

    live = LiveChannel("pipe")

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._context = multiprocessing.get_context("spawn")
        self._lines, self._lines_in = self._context.Pipe(duplex=False)
        self._reader = threading.Thread(
            target=read_pipe,
            args=(self._lines, self._ended),
            name="stepstone-live-lines",
            daemon=True,
        )
        self._reader.start()
        self._lock = threading.Lock()
        self._deliveries: dict[str, _Delivery] = {}
        self._deliveries_lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.max_workers,
            mp_context=self._context,
            initializer=install_pipe,
            initargs=(self._lines_in,),
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        token = uuid.uuid4().hex
        outer: Future[T] = Future()
        outer.set_running_or_notify_cancel()
        with self._deliveries_lock:
            self._deliveries[token] = _Delivery(outer)
        try:
            with self._lock:
                try:
                    inner = self._pool.submit(_call_then_end, token, fn, args, kwargs)
                except BrokenProcessPool:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
                    inner = self._pool.submit(_call_then_end, token, fn, args, kwargs)
        except BaseException:
            with self._deliveries_lock:
                del self._deliveries[token]
            raise
        inner.add_done_callback(lambda done: self._returned(token, done))
        return outer

    def _returned(self, token: str, inner: Future[Any]) -> None:
        """The pool is done with call ``token``: hand it on now, or once its end came."""
        with self._deliveries_lock:
            delivery = self._deliveries[token]
            delivery.inner = inner
            ended_sent = not inner.cancelled() and inner.exception() is None and inner.result()[0]
            ready = delivery.ended or not ended_sent
        if ready:
            self._deliver(token)

    def _ended(self, token: str) -> None:
        """The reader came to the end of call ``token``: every line it sent is shown."""
        with self._deliveries_lock:
            delivery = self._deliveries.get(token)
            if delivery is None:
                return
            delivery.ended = True
            ready = delivery.inner is not None
        if ready:
            self._deliver(token)

    def _deliver(self, token: str) -> None:
        with self._deliveries_lock:
            delivery = self._deliveries.pop(token, None)
        if delivery is None or delivery.inner is None:
            return
        inner, outer = delivery.inner, delivery.outer
        if inner.cancelled():
            outer.set_exception(CancelledError())
        elif (failure := inner.exception()) is not None:
            outer.set_exception(failure)
        else:
            _, result, error = inner.result()
            if error is not None:
                outer.set_exception(error)
            else:
                outer.set_result(result)

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
