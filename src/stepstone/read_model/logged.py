"""What was logged on a run, its step runs and their outputs, read in a few queries.

The run document (``runs show``) and the runs table (its metric columns) both read it here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from stepstone.metadata.records import MetadataResource, PipelineRunRecord, StepRunRecord
from stepstone.models import run_metadata, step_metadata

if TYPE_CHECKING:
    from stepstone.metadata.store import MetadataStore
    from stepstone.read_model.artifacts import ArtifactView


class LoggedMetadata(BaseModel):
    """What was logged on a run (``run``, with its steps' keys as ``step::key``), its step
    runs (by step run id; a cached one shows its source's) and their outputs (by artifact id)."""

    run: dict[str, Any] = Field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tags: dict[str, list[str]] = Field(default_factory=dict)
    versions: dict[str, tuple[str, str]] = Field(
        default_factory=dict,
        description="Artifact id -> (artifact name, version) of the steps' inputs and outputs.",
    )

    def step_fields(self, record: StepRunRecord) -> dict[str, Any]:
        """What was logged on ``record`` and its outputs, as :class:`LoggedStep` has it."""
        outputs = record.outputs.items()
        return {
            "run_metadata": self.steps.get(record.id, {}),
            "output_metadata": {
                n: self.artifacts[a.id] for n, a in outputs if a.id in self.artifacts
            },
            "output_tags": {n: self.tags[a.id] for n, a in outputs if a.id in self.tags},
        }

    def name_versions(self, views: Iterable[ArtifactView]) -> None:
        """Fill in the artifact name and version of each artifact view that is a version."""
        for view in views:
            if view.id in self.versions:
                view.artifact_name, view.version = self.versions[view.id]


def logged_metadata(
    metadata: MetadataStore, run: PipelineRunRecord, steps: list[StepRunRecord]
) -> LoggedMetadata:
    """Everything logged on ``run``, its ``steps`` and their outputs, and the artifact versions
    of their inputs and outputs, in five queries."""
    by_step = step_metadata(metadata, steps)
    artifact_ids = [a.id for step in steps for a in step.outputs.values()]
    input_ids = [a.id for step in steps for a in step.inputs.values()]
    versions = metadata.get_artifact_versions([*artifact_ids, *input_ids])
    return LoggedMetadata(
        run=run_metadata(metadata, run.id, steps, by_step),
        steps={k: v for k, v in by_step.items() if v},
        artifacts=metadata.get_metadata(MetadataResource.ARTIFACT_VERSION, artifact_ids),
        tags=metadata.get_tags(artifact_ids),
        versions={i: (v.name, v.version) for i, v in versions.items()},
    )
