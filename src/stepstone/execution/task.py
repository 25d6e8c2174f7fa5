"""What the driver hands an executor, and what comes back.

Both are small, picklable dataclasses: a worker needs the artifact store, never the
database. A task names its inputs by artifact location and the store by URL; a result names
its outputs by the descriptors the artifact store returned (hash, uri, size, materializer).

A task that stays in the driver's process (``local``, ``threads``) is never pickled. One
that crosses into another process is pickled by :meth:`StepTask.__reduce__`, its step
function shipped as :mod:`stepstone.execution.shipping` describes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stepstone.artifacts import StoredArtifact
    from stepstone.artifacts.storage import StorageOptions
    from stepstone.cache import CodeFingerprint
    from stepstone.execution.context import Collected, StepInfo
    from stepstone.execution.live import LiveChannel


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """How a worker opens the run's artifact store: its URL and non-secret options.

    Credentials never travel, however the spec is made: credentials among the
    ``[artifact_storage]`` options are left out here (``StorageOptions.shareable``), and a
    worker takes them from its own config file or environment (for S3 the usual ``AWS_*``
    variables, ``~/.aws`` or an instance role).
    """

    root: str
    allow_pickle: bool = True
    storage: StorageOptions | None = None
    materializers: tuple[str, ...] = ()
    """The ``materializers`` setting: the user's ``module:Class`` names loading may import."""

    def __post_init__(self) -> None:
        if self.storage is not None:
            object.__setattr__(self, "storage", self.storage.shareable())


@dataclass(frozen=True, slots=True)
class InputRef:
    """Where an input artifact lives and how to load it."""

    uri: str
    materializer: str
    data_type: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class StepTask:
    """One step execution to perform.

    Attributes:
        run_id: the pipeline run this execution belongs to.
        invocation_id: the step's name in the pipeline.
        func: the user's step function.
        parameters: literal arguments, passed as they are.
        inputs: argument name -> artifact to load and pass.
        output_names: declared outputs, in order.
        output_hints: output name -> declared type (used to choose a materializer).
        output_materializers: output name -> materializer chosen with ``@step(materializer=)``.
        code: the driver's fingerprint of ``func``; a worker in another process checks that
            the code it received has the same one before running it.
        store: the artifact store the worker loads inputs from and saves outputs to.
        arrived_by_value: set on a worker when the function came pickled by value.
        resources: the step's ``resources=`` (Dask worker resources).
        info: what ``get_step_context()`` tells the step (a task without one runs without
            a step context).
        live: how a worker in another process streams the step's output to the driver's
            console while it runs (``None``: it prints to the console it shares).
    """

    run_id: str
    invocation_id: str
    func: Callable[..., Any]
    parameters: dict[str, Any]
    inputs: dict[str, InputRef]
    output_names: tuple[str, ...]
    output_hints: dict[str, Any] = field(default_factory=dict)
    output_materializers: dict[str, Any] = field(default_factory=dict)
    """Output name -> materializer chosen on the step (overrides the registry)."""
    code: CodeFingerprint | None = None
    store: StoreSpec | None = None
    resources: dict[str, float | str] = field(default_factory=dict)
    arrived_by_value: bool = False
    info: StepInfo | None = None
    live: LiveChannel | None = None
    input_groups: dict[str, int] = field(default_factory=dict)
    """Argument name -> element count of an argument passed a tuple of step outputs; its
    elements are the inputs ``"<argument>.<position>"`` (see ``Invocation.input_groups``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        from stepstone.execution.shipping import ship

        state = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        state["func"] = ship(self.func)
        return (_restore_task, (state,))


def _restore_task(state: dict[str, Any]) -> StepTask:
    from stepstone.execution.shipping import land

    state["func"], state["arrived_by_value"] = land(state["func"])
    return StepTask(**state)


@dataclass(slots=True)
class StepResult:
    """The outcome of one execution. ``error`` is the exception the step raised, if any."""

    invocation_id: str
    started_at: datetime
    ended_at: datetime
    duration: float
    logs: str
    outputs: dict[str, StoredArtifact] = field(default_factory=dict)
    error: BaseException | None = None
    error_text: str | None = None
    collected: Collected | None = None
    """What the step logged through its context (metadata, output tags), recorded with it."""
    unusable_input: str | None = None
    """The input whose stored artifact was missing or corrupt: the step never ran, and the
    driver recomputes that input's producer instead of failing the run."""

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.error_text is None
