"""The worker's side of a task: open the store, check the code, run, send back descriptors.

:func:`run_task` is what every executor runs, in the driver's process or on a Dask worker
that has no database credentials. Before the step runs, the worker fingerprints the
function it received and compares it with the driver's fingerprint: a worker with other
library versions, or other project files than the driver read, would otherwise store a
result under a key that does not describe the code that made it. Such a task fails with
:class:`~stepstone.exceptions.CodeMismatchError`, and nothing is cached.

Code that arrived pickled by value is the driver's by construction, but has no source file
to fingerprint again: for it only the libraries it reaches are compared.
"""

from __future__ import annotations

import os
import pickle
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from stepstone.exceptions import CodeMismatchError, ExecutorError
from stepstone.execution.live import open_live
from stepstone.execution.runner import execute_step
from stepstone.execution.task import StepResult, StepTask, StoreSpec

if TYPE_CHECKING:
    from stepstone.artifacts import ArtifactStore
    from stepstone.artifacts.storage import StorageOptions
    from stepstone.cache import CodeFingerprint

_STORES: dict[StoreSpec, ArtifactStore] = {}
_STORES_LOCK = threading.Lock()


def register_store(spec: StoreSpec, store: ArtifactStore) -> None:
    """Let tasks for ``spec`` in this process use ``store`` (the driver's own instance)."""
    with _STORES_LOCK:
        _STORES[spec] = store


def store_for(spec: StoreSpec) -> ArtifactStore:
    """The artifact store named by ``spec``, opened once per process.

    Credentials the driver's options held did not travel with the task: this process's own
    config supplies them if it names the same artifact root, else its environment does.
    """
    with _STORES_LOCK:
        store = _STORES.get(spec)
        if store is None:
            from stepstone.artifacts import open_artifact_store

            storage = spec.storage
            if storage is not None and storage.withheld:
                storage = storage.with_credentials_of(_own_storage(spec.root))
            store = open_artifact_store(
                spec.root,
                allow_pickle=spec.allow_pickle,
                storage_options=storage,
                materializers=spec.materializers,
            )
            _STORES[spec] = store
        return store


def _own_storage(root: str) -> StorageOptions | None:
    """This process's ``[artifact_storage]`` options, if its config uses ``root`` too."""
    from stepstone.artifacts.storage import StorageOptions
    from stepstone.config import load_settings
    from stepstone.exceptions import ConfigError

    try:
        settings = load_settings()
        table = settings.artifact_storage
        if table is None or settings.artifact_root != root:
            return None
        return StorageOptions.from_table(table, f"Config file {settings.config_file}")
    except (ConfigError, OSError):  # no usable config here: the environment's credentials
        return None


def _differences(driver: CodeFingerprint, worker: CodeFingerprint) -> tuple[str, ...]:
    names = set(driver.objects) | set(worker.objects)
    return tuple(
        sorted(name for name in names if driver.objects.get(name) != worker.objects.get(name))
    )


def check_code(task: StepTask) -> None:
    """Raise :class:`CodeMismatchError` unless ``task.func`` has the driver's fingerprint."""
    if task.code is None:
        return
    from stepstone.cache import fingerprint_function

    here = fingerprint_function(task.func)
    if here.digest == task.code.digest:
        return
    differing = _differences(task.code, here)
    if task.arrived_by_value:
        # Code shipped by value has no source file on the worker, so the walk there reaches
        # less; what can be compared is the version of each library both sides reached.
        both = task.code.objects.keys() & here.objects.keys()
        differing = tuple(n for n in differing if n.startswith("library:") and n in both)
        if not differing:
            return
    shown = ", ".join(differing[:5]) + (
        f" and {len(differing) - 5} more" if len(differing) > 5 else ""
    )
    module = getattr(task.func, "__module__", "?")
    raise CodeMismatchError(
        task.invocation_id,
        differing,
        f"Step '{task.invocation_id}' (module {module}): the code on worker "
        f"{_host()} is not the code the driver fingerprinted; differing: {shown}. "
        "Its result would be cached under a key that does not describe it, so it did not run. "
        "Give the workers the same project files and library versions as the driver "
        "(the same image or environment), then run again.",
    )


def _host() -> str:
    import socket

    return f"{socket.gethostname()} (pid {os.getpid()})"


def _transportable(result: StepResult) -> StepResult:
    """Drop an exception that cannot be pickled; its formatted traceback stays."""
    if result.error is not None:
        try:
            pickle.dumps(result.error)
        except Exception:
            result.error = None
    return result


def run_task(task: StepTask) -> StepResult:
    """Execute ``task`` on this worker; failures come back in the result, never raised."""
    started_at = datetime.now(UTC)
    try:
        check_code(task)
        if task.store is None:
            raise ExecutorError(f"The task for step '{task.invocation_id}' names no store.")
        store = store_for(task.store)
    except Exception as exc:
        import traceback

        ended_at = datetime.now(UTC)
        return _transportable(
            StepResult(
                invocation_id=task.invocation_id,
                started_at=started_at,
                ended_at=ended_at,
                duration=(ended_at - started_at).total_seconds(),
                logs="",
                error=exc,
                error_text="".join(traceback.format_exception_only(exc)).rstrip(),
            )
        )
    live = open_live(task.live, task.run_id, task.invocation_id)
    return _transportable(execute_step(task, store, live))
