"""Executors: where cache misses are computed.

An executor is a :class:`concurrent.futures.Executor`. The driver submits
``execute_step(task, artifact_store)`` and waits on the futures, so any executor that
follows that interface works — including ``distributed.Client.get_executor()``.
:class:`LocalExecutor` runs each task in the calling process at submit time: the same
driver code path, fully synchronous, easy to debug.
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
