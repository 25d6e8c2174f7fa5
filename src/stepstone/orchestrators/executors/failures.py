"""What an executor's own failure means: a dead worker, an unpicklable task, or a bug.

A step's exception never gets here: :func:`~stepstone.execution.run_task` returns it in the
result. What does get here is the executor failing to run the task at all, and the driver
turns it into the step's failure with :func:`worker_failure`.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

# Exceptions by name: naming them must not import distributed.
_WORKER_LOST = frozenset({"BrokenProcessPool", "KilledWorker", "CommClosedError"})


@dataclass(frozen=True, slots=True)
class WorkerFailure:
    """The executor could not bring back a step's result.

    Attributes:
        message: what happened, naming the step and the executor.
        transient: a worker died; executing again may well succeed (``@step(retries=)``).
    """

    message: str
    transient: bool


def _is_pickling_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, pickle.PicklingError) or (
        isinstance(exc, TypeError | AttributeError) and "pickle" in text
    )


def worker_failure(step_name: str, executor: str, exc: BaseException) -> WorkerFailure:
    """Describe ``exc``, raised by ``executor`` instead of ``step_name``'s result."""
    kind = type(exc).__name__
    if kind in _WORKER_LOST:
        return WorkerFailure(
            f"Step '{step_name}': the worker died while running it, likely out of memory "
            f"({executor}: {kind}: {exc}). Give the workers more memory or make the step use "
            "less; @step(retries=N) executes it again after such a failure.",
            transient=True,
        )
    if _is_pickling_error(exc):
        return WorkerFailure(
            f"Step '{step_name}': its task or result cannot be pickled to travel between "
            f"this process and the {executor} workers ({kind}: {exc}). Steps that run in "
            "other processes take and return values stepstone can store, and raise "
            "picklable exceptions; or run them with the 'local' or 'threads' executor.",
            transient=False,
        )
    return WorkerFailure(
        f"Step '{step_name}': the {executor} executor failed to run it ({kind}: {exc}).",
        transient=False,
    )
