"""A run's step runs as views, and the run with its steps (``runs show``, the run page).

A step is named ``name`` in its own view (its name in the pipeline, ``trainer_2``);
``definition_name`` is the ``@step``'s (``trainer``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stepstone.metadata.records import PipelineRunRecord, StepRunRecord
from stepstone.read_model.artifacts import ArtifactView
from stepstone.read_model.logged import LoggedMetadata
from stepstone.read_model.run_fields import run_fields
from stepstone.read_model.runs import RunView
from stepstone.read_model.sources import SourceRun, source_for


class StepView(BaseModel):
    """One recorded step run of a run."""

    id: str | None = Field(description="Step run id; null for a step not recorded yet.")
    name: str = Field(description="The invocation name: the step's name in the pipeline.")
    definition_name: str = Field(description="The name of the @step it calls.")
    status: str = Field(
        description="completed, cached, failed or running; for a step of a run still going "
        "that is not recorded yet, pending (waiting for upstream steps), waiting (another run "
        "is executing the same cache key: its result will be reused) or skipped (the run "
        "ended before it started)."
    )
    position: int | None
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    cache_key: str | None
    cached_from: SourceRun | None
    parameters: dict[str, Any]
    error: str | None
    inputs: list[ArtifactView]
    outputs: list[ArtifactView]

    @classmethod
    def of(cls, record: StepRunRecord, sources: Mapping[str, SourceRun]) -> StepView:
        return cls(
            **step_fields(record, source_for(record, sources)),
            inputs=[ArtifactView.of(n, a) for n, a in record.inputs.items()],
            outputs=[ArtifactView.of(n, a) for n, a in record.outputs.items()],
        )


def step_fields(record: StepRunRecord, source: SourceRun | None) -> dict[str, Any]:
    """The fields of :class:`StepView` but its artifacts (subclasses add links to those)."""
    return {
        "id": record.id,
        "name": record.name,
        "definition_name": record.definition_name,
        "status": record.status,
        "position": record.position,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration": record.duration,
        "cache_key": record.cache_key,
        "cached_from": source,
        "parameters": dict(record.parameters),
        "error": record.error,
    }


class LoggedStep(StepView):
    """A step run with the metadata logged on it and on its outputs."""

    run_metadata: dict[str, Any] = Field(
        default_factory=dict, description="Key -> value logged on the step run."
    )
    output_metadata: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Output name -> key -> value logged on it."
    )
    output_tags: dict[str, list[str]] = Field(
        default_factory=dict, description="Output name -> its tags."
    )


class RunDocument(RunView):
    """A run with its steps and what was logged on them (``runs show``)."""

    run_metadata: dict[str, Any] = Field(default_factory=dict)
    steps: list[LoggedStep]

    @classmethod
    def with_steps(
        cls,
        record: PipelineRunRecord,
        steps: Iterable[StepRunRecord],
        sources: Mapping[str, SourceRun],
        logged: LoggedMetadata | None = None,
    ) -> RunDocument:
        logged = logged or LoggedMetadata()
        views = []
        for step in steps:
            view = LoggedStep(**StepView.of(step, sources).model_dump(), **logged.step_fields(step))
            logged.name_versions([*view.inputs, *view.outputs])
            views.append(view)
        return cls(**run_fields(record), run_metadata=logged.run, steps=views)
