"""Executors on this machine that share the driver's process: in process and threads.

An executor is a :class:`concurrent.futures.Executor`; the driver submits
``run_task(task)`` and waits on the futures. :class:`LocalExecutor` runs each task in the
calling process at submit time: the same driver code path, fully synchronous, easy to
debug. The process pool is in :mod:`.process_pool`, apart: it needs :mod:`multiprocessing`,
which a run in process never imports.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

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
