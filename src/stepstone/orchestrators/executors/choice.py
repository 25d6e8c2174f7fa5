"""Choosing where steps run: one parser for every way of saying it.

``my_pipeline.with_options(executor=...)``, ``stepstone run --executor ...``, the config key
``executor`` and ``STEPSTONE_EXECUTOR`` all go through
:func:`~stepstone.executor_choice.parse_executor`:

============================== ==========================================================
value                          steps run
============================== ==========================================================
``local`` (the default)        in this process, one after another
``threads[:N]``                in a pool of N threads in this process (default: CPU count)
``processes[:N]``              in a pool of N spawned processes (default: CPU count)
``dask[:N]``                   on a ``distributed.LocalCluster`` of N worker processes,
                               started for the run and closed after it
``dask://HOST:PORT``,          on the Dask cluster whose scheduler listens there; it is
``tcp://HOST:PORT``            left running
a ``concurrent.futures``       wherever it puts them; the caller owns it (it is not shut
``Executor`` or a Dask         down)
``Client``
============================== ==========================================================

:func:`open_executor` turns the choice into a :class:`Placement` for one run: the executor
and the two facts the driver needs about it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stepstone.exceptions import ExecutorError
from stepstone.execution.live import LiveChannel
from stepstone.executor_choice import ExecutorChoice, parse_executor

__all__ = ["ExecutorChoice", "Placement", "open_executor", "parse_executor"]


@dataclass(frozen=True, slots=True)
class Placement:
    """The executor of one run and what the driver must know about it.

    Attributes:
        executor: where ``run_task`` is submitted.
        label: how it is named in messages (``threads:4``, ``tcp://10.0.0.5:8786``).
        separate_processes: tasks are pickled into other processes, so the artifact store
            must be reachable from there (not ``memory://``) and project code ships by value.
        shares_console: what workers print reaches this terminal as it happens (in this
            process, through ``live``, or a pool's inherited terminal); when not (an
            executor stepstone knows nothing about), the driver prints each step's captured
            logs when it finishes.
        live: how workers in other processes stream a step's output to this process while
            it runs (``None``: they print in this process, or cannot).
    """

    executor: Executor
    label: str
    separate_processes: bool
    shares_console: bool
    live: LiveChannel | None = None


def _cpus() -> int:
    return os.cpu_count() or 1


@contextmanager
def open_executor(choice: str | ExecutorChoice | Executor | Any) -> Iterator[Placement]:
    """The executor for one run: started here and shut down after, unless the caller's."""
    if isinstance(choice, str):
        choice = parse_executor(choice)
    if not isinstance(choice, ExecutorChoice):
        if not isinstance(choice, Executor) and type(choice).__module__.startswith("distributed"):
            from stepstone.orchestrators.executors.dask import client_placement

            with client_placement(choice) as placement:
                yield placement
        else:
            yield _given(choice)
        return
    if choice.kind == "local":
        from stepstone.orchestrators.executors.local import LocalExecutor

        yield Placement(LocalExecutor(), "local", separate_processes=False, shares_console=True)
    elif choice.kind == "threads":
        threads = ThreadPoolExecutor(choice.workers or _cpus(), "stepstone-step")
        try:
            yield Placement(threads, str(choice), separate_processes=False, shares_console=True)
        except KeyboardInterrupt:
            # Steps still running are left to Python's own wait at exit: the user was told a
            # second Ctrl-C stops now, and that wait is the only one it must end.
            threads.shutdown(wait=False, cancel_futures=True)
            raise
        threads.shutdown()
    elif choice.kind == "processes":
        from stepstone.orchestrators.executors.process_pool import ProcessPool

        pool = ProcessPool(choice.workers or _cpus())
        try:
            yield Placement(pool, str(choice), True, shares_console=True, live=pool.live)
        finally:
            pool.shutdown()
    else:
        from stepstone.orchestrators.executors.dask import dask_executor

        with dask_executor(choice.address, choice.workers) as placement:
            yield placement


def _loaded(module: str, name: str) -> type[Any] | None:
    """Class ``name`` of ``module`` if that module was imported, without importing it."""
    loaded = sys.modules.get(module)
    return None if loaded is None else getattr(loaded, name)


def _given(executor: Any) -> Placement:
    """A caller's executor, used as it is and never shut down."""
    from stepstone.orchestrators.executors.local import LocalExecutor

    if isinstance(executor, LocalExecutor | ThreadPoolExecutor):
        name = type(executor).__name__
        return Placement(executor, name, separate_processes=False, shares_console=True)
    # Neither pool class is imported to ask: an instance exists only once its module is loaded.
    pool = _loaded("stepstone.orchestrators.executors.process_pool", "ProcessPool")
    if pool is not None and isinstance(executor, pool):
        return Placement(executor, "ProcessPool", True, shares_console=True, live=executor.live)
    if isinstance(executor, Executor):
        # A process pool (its workers print to this terminal, inherited), or an executor we
        # know nothing about: assume tasks are pickled.
        standard = _loaded("concurrent.futures.process", "ProcessPoolExecutor")
        shares = standard is not None and isinstance(executor, standard)
        return Placement(executor, type(executor).__name__, True, shares_console=shares)
    raise ExecutorError(
        f"Executor {executor!r} is not a name, a concurrent.futures.Executor or a Dask "
        "Client. Use 'local', 'threads[:N]', 'processes[:N]', 'dask[:N]', "
        "'tcp://HOST:PORT', or pass an Executor instance."
    )
