"""Where cache misses are computed: in process, thread and process pools, Dask.

Every executor is a :class:`concurrent.futures.Executor` that runs
:func:`stepstone.execution.run_task`; :func:`open_executor` makes one from a choice
(``"threads:4"``, ``"tcp://host:8786"``, an instance) for one run.
"""

from typing import Any

from stepstone._lazy import load_attribute
from stepstone.orchestrators.executors.choice import (
    ExecutorChoice,
    Placement,
    open_executor,
    parse_executor,
)
from stepstone.orchestrators.executors.failures import worker_failure
from stepstone.orchestrators.executors.local import LocalExecutor

__all__ = [
    "ExecutorChoice",
    "LocalExecutor",
    "Placement",
    "ProcessPool",
    "open_executor",
    "parse_executor",
    "worker_failure",
]


#: Exported, imported on first use: the process pool brings :mod:`multiprocessing`.
_LAZY = {"ProcessPool": "stepstone.orchestrators.executors.process_pool"}


def __getattr__(name: str) -> Any:
    return load_attribute(__name__, _LAZY, globals(), name)
