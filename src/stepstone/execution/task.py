"""What the driver hands an executor, and what comes back.

Both are small, picklable dataclasses: a worker needs the artifact store, never the
database. A task names its inputs by artifact location; a result names its outputs by the
descriptors the artifact store returned (hash, uri, size, materializer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stepstone.artifacts import StoredArtifact


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
    unusable_input: str | None = None
    """The input whose stored artifact was missing or corrupt: the step never ran, and the
    driver recomputes that input's producer instead of failing the run."""

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.error_text is None
