"""An artifact with every step run that produced, reused or consumed it (``artifacts show``).

A step is named ``invocation_name`` here, its name in the pipeline (``trainer_2``): the view is
of the artifact, not of the step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from stepstone.metadata.records import ArtifactLink, StepStatus
from stepstone.models import LinkRole, link_role
from stepstone.read_model.artifacts import ArtifactDocument


class ArtifactLinkView(BaseModel):
    """A step run that produced, reused or consumed an artifact, in any run."""

    step_run_id: str
    invocation_name: str = Field(description="The step's name in its pipeline (trainer_2).")
    run_id: str
    run_name: str
    direction: Literal["input", "output"]
    role: LinkRole
    name: str = Field(description="The input or output name the step gave the artifact.")
    step_status: StepStatus
    pipeline_name: str
    started_at: datetime

    @classmethod
    def of(cls, link: ArtifactLink, producer_step_run_id: str | None) -> ArtifactLinkView:
        return cls(**link_fields(link, producer_step_run_id))


def link_fields(link: ArtifactLink, producer_step_run_id: str | None) -> dict[str, Any]:
    """The fields of :class:`ArtifactLinkView` (the dashboard's adds its pages' links)."""
    return {
        "step_run_id": link.step_run_id,
        "invocation_name": link.invocation_name,
        "run_id": link.run_id,
        "run_name": link.run_name,
        "direction": link.direction,
        "role": link_role(link, producer_step_run_id),
        "name": link.name,
        "step_status": link.step_status,
        "pipeline_name": link.pipeline_name,
        "started_at": link.started_at,
    }


class ArtifactLineage(ArtifactDocument):
    """An artifact (``artifacts show``): its tags, what was logged on it, and every step run
    that produced, reused or consumed it, oldest first."""

    tags: list[str]
    run_metadata: dict[str, Any] = Field(description="Key -> value logged on it.")
    lineage: list[ArtifactLinkView]

    @classmethod
    def with_links(
        cls,
        document: ArtifactDocument,
        links: Iterable[ArtifactLink],
        *,
        tags: Iterable[str] = (),
        run_metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactLineage:
        producer_id = document.producer_step_run_id
        return cls(
            **dict(document),
            tags=list(tags),
            run_metadata=dict(run_metadata or {}),
            lineage=[ArtifactLinkView.of(link, producer_id) for link in links],
        )
