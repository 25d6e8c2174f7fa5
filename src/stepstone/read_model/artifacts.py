"""An artifact as a step's input or output, as a version of a named artifact, and as a
stored record with its producer (``artifacts list|show``, the artifact page)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from stepstone.metadata.records import ArtifactRecord, ArtifactVersionRecord, MetadataResource
from stepstone.models import Producer

if TYPE_CHECKING:
    from stepstone.metadata.store import MetadataStore


class ArtifactView(BaseModel):
    """An artifact as a step's input or output."""

    id: str
    name: str | None = Field(description="The input or output name in this step (else null).")
    data_type: str
    materializer: str
    size: int
    content_hash: str
    uri: str
    producer_step_run_id: str | None
    artifact_name: str | None = Field(
        default=None,
        description="The name of the artifact this is a version of (its ArtifactConfig or "
        "Annotated name, else <pipeline>::<step>::<output>); null for values passed in.",
    )
    version: str | None = Field(default=None, description="Its version of that name.")

    @classmethod
    def of(cls, name: str | None, record: ArtifactRecord) -> ArtifactView:
        return cls(**artifact_fields(name, record))


class ArtifactVersionView(ArtifactView):
    """A version of a named artifact (``artifacts list --name``, the artifact page)."""

    artifact_type: str = Field(description="DataArtifact, ModelArtifact, ...")
    has_custom_name: bool = Field(description="The name was given, not the default one.")
    created_at: datetime
    tags: list[str] = Field(default_factory=list)
    run_metadata: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of_version(
        cls,
        record: ArtifactVersionRecord,
        tags: Iterable[str] = (),
        run_metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactVersionView:
        return cls(
            **artifact_fields(None, record.artifact),
            artifact_name=record.name,
            version=record.version,
            artifact_type=record.artifact_type,
            has_custom_name=record.has_custom_name,
            created_at=record.created_at,
            tags=list(tags),
            run_metadata=dict(run_metadata or {}),
        )


def version_views(
    metadata: MetadataStore, records: Iterable[ArtifactVersionRecord]
) -> list[ArtifactVersionView]:
    """Views of versions with their tags and metadata, read in two queries."""
    records = list(records)
    ids = [record.artifact_id for record in records]
    tags = metadata.get_tags(ids)
    logged = metadata.get_metadata(MetadataResource.ARTIFACT_VERSION, ids)
    return [
        ArtifactVersionView.of_version(r, tags.get(r.artifact_id, ()), logged.get(r.artifact_id))
        for r in records
    ]


def artifact_fields(name: str | None, record: ArtifactRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": name,
        "data_type": record.data_type,
        "materializer": record.materializer,
        "size": record.size,
        "content_hash": record.content_hash,
        "uri": record.uri,
        "producer_step_run_id": record.producer_step_run_id,
    }


class ArtifactDocument(ArtifactView):
    """A stored artifact: what it is, when it was made, its summary and who produced it.

    ``producer`` is null for a value passed into a pipeline, and when the run that produced
    it was deleted (``producer_step_run_id`` still says which step run it was).
    """

    materializer_version: str
    created_at: datetime
    summary: dict[str, Any]
    producer: Producer | None

    @classmethod
    def of_record(
        cls,
        record: ArtifactRecord,
        producer: Producer | None,
        version: ArtifactVersionRecord | None = None,
    ) -> ArtifactDocument:
        return cls(**artifact_document_fields(record, producer, version))


def artifact_document_fields(
    record: ArtifactRecord,
    producer: Producer | None,
    version: ArtifactVersionRecord | None = None,
) -> dict[str, Any]:
    """The fields of :class:`ArtifactDocument`; ``version`` names the artifact version it is."""
    return {
        **artifact_fields(None, record),
        "artifact_name": version.name if version is not None else None,
        "version": version.version if version is not None else None,
        "materializer_version": record.materializer_version,
        "created_at": record.created_at,
        "summary": dict(record.summary),
        "producer": producer,
    }


class ArtifactVersionDocument(ArtifactVersionView):
    """A version of a named artifact with the step run that produced it (``artifacts list
    --name``)."""

    producer: Producer | None
