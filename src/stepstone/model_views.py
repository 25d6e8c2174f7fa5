"""The read model of models: what ``stepstone models`` prints and the dashboard's model pages draw.

Like :mod:`stepstone.read_model`, pydantic views computed once from records, so ``models show
--json`` and ``/api/v1/models/{name}`` give the same keys and values. A model's page reads its
versions in one query, their metadata in one, and each version's linked artifacts in one more
(with their artifact versions, tags and metadata in three, whatever the count).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stepstone.exceptions import ModelNotFoundError
from stepstone.metadata.records import MetadataResource, ModelRecord, ModelVersionRecord
from stepstone.metadata.store import MetadataStore
from stepstone.read_model.artifacts import ArtifactVersionView, version_views


class LinkedArtifactView(ArtifactVersionView):
    """An artifact linked to a model version."""

    kind: str = Field(description="model (ArtifactType.MODEL) or data.")


class ModelVersionView(BaseModel):
    """One version of a model, with what is linked to it and logged on it."""

    id: str
    model_name: str
    name: str = Field(description="The version's name ('3' unless one was given).")
    number: int
    stage: str | None = Field(description="staging, production, archived, or null.")
    created_at: datetime
    run_id: str | None = Field(description="The run that created the version.")
    run_metadata: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[LinkedArtifactView] = Field(default_factory=list)


class ModelSummary(BaseModel):
    """A model as ``models list`` shows it."""

    id: str
    name: str
    created_at: datetime
    details: dict[str, Any] = Field(description="description, license, tags, ...")
    version_count: int
    latest_version: str | None
    stages: dict[str, str] = Field(
        default_factory=dict, description="Stage -> the version in it (staging, production)."
    )


class ModelView(ModelSummary):
    """A model with its versions, newest first (``models show``, the model's page)."""

    versions: list[ModelVersionView]


def _summary(record: ModelRecord, versions: list[ModelVersionRecord]) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "created_at": record.created_at,
        "details": dict(record.details),
        "version_count": len(versions),
        "latest_version": versions[0].name if versions else None,
        "stages": {
            v.stage: v.name for v in reversed(versions) if v.stage in ("staging", "production")
        },
    }


def model_summaries(metadata: MetadataStore) -> list[ModelSummary]:
    """Every model, by name."""
    return [
        ModelSummary(**_summary(record, metadata.list_model_versions(record.name)))
        for record in metadata.list_models()
    ]


def version_view(metadata: MetadataStore, record: ModelVersionRecord) -> ModelVersionView:
    """One version with its linked artifacts and metadata."""
    return _version_views(metadata, [record])[0]


def _version_views(
    metadata: MetadataStore, records: list[ModelVersionRecord]
) -> list[ModelVersionView]:
    logged = metadata.get_metadata(MetadataResource.MODEL_VERSION, [r.id for r in records])
    views = []
    for record in records:
        links = metadata.model_version_artifacts(record.id)
        versions = metadata.get_artifact_versions([artifact.id for _, artifact in links])
        kinds = {artifact.id: link.kind for link, artifact in links}
        artifacts = [
            LinkedArtifactView(**view.model_dump(), kind=kinds[view.id])
            for view in version_views(
                metadata, [versions[a.id] for _, a in links if a.id in versions]
            )
        ]
        views.append(
            ModelVersionView(
                id=record.id,
                model_name=record.model_name,
                name=record.name,
                number=record.number,
                stage=record.stage,
                created_at=record.created_at,
                run_id=record.run_id,
                run_metadata=logged.get(record.id, {}),
                artifacts=artifacts,
            )
        )
    return views


def model_view(metadata: MetadataStore, name: str) -> ModelView:
    """A model with every version, newest first.

    Raises:
        ModelNotFoundError: no model of that name (with close names).
    """
    record = metadata.get_model(name)
    if record is None:
        raise ModelNotFoundError(name, [m.name for m in metadata.list_models()])
    versions = metadata.list_model_versions(name)
    return ModelView(**_summary(record, versions), versions=_version_views(metadata, versions))
