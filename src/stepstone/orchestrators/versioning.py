"""Which artifact versions an executed step's outputs become, and what goes with them.

Every output of a step that executed is recorded as a version of a named artifact (the name
its annotation gives, else ``<pipeline>::<step>::<output>``), numbered per name by the store
unless ``ArtifactConfig(version=)`` gives one. A cached step run records nothing here: it links
the artifacts its source produced, whose versions that source's run created, as ZenML's
caching reuses the outputs of the run it found (a new version is made only by an execution).

A version given by the user that exists already would fail the write after the step ran, so the
driver asks :func:`version_taken` first and fails the step without executing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stepstone.enums import ArtifactType
from stepstone.exceptions import ArtifactVersionExistsError
from stepstone.metadata import MetadataStore
from stepstone.metadata.records import (
    ArtifactRecord,
    ArtifactTag,
    MetadataEntry,
    MetadataResource,
    ModelArtifactLink,
    NewArtifactVersion,
)
from stepstone.orchestrators.planning import PlannedStep
from stepstone.steps.artifact_config import fill_placeholders
from stepstone.steps.signature import OutputSpec


@dataclass(frozen=True, slots=True)
class OutputVersions:
    """What recording a step's outputs as artifact versions writes."""

    versions: tuple[NewArtifactVersion, ...]
    metadata: tuple[MetadataEntry, ...]
    tags: tuple[ArtifactTag, ...]


def _version_name(
    spec: OutputSpec, planned: PlannedStep, pipeline_name: str, run_started: datetime
) -> str:
    """The artifact name ``spec``'s versions are numbered under, placeholders filled in."""
    return fill_placeholders(spec.artifact_name(pipeline_name, planned.name), run_started)


def output_versions(
    planned: PlannedStep,
    pipeline_name: str,
    run_started: datetime,
    outputs: dict[str, ArtifactRecord],
    created_at: datetime,
) -> OutputVersions:
    """The versions, config metadata and config tags of an executed step's ``outputs``."""
    versions: list[NewArtifactVersion] = []
    metadata: list[MetadataEntry] = []
    tags: list[ArtifactTag] = []
    for spec in planned.invocation.step.signature.outputs:
        artifact = outputs.get(spec.name)
        if artifact is None:
            continue
        config = spec.config
        versions.append(
            NewArtifactVersion(
                artifact_id=artifact.id,
                name=_version_name(spec, planned, pipeline_name, run_started),
                version=config.version if config is not None else None,
                artifact_type=(config.artifact_type if config else ArtifactType.DATA).value,
                has_custom_name=spec.custom is not None,
                created_at=created_at,
            )
        )
        for key, value in planned.artifact_metadata.get(spec.name, {}).items():
            metadata.append(
                MetadataEntry(MetadataResource.ARTIFACT_VERSION, artifact.id, key, value)
            )
        tags.extend(ArtifactTag(artifact.id, tag) for tag in (config.tags if config else ()))
    return OutputVersions(tuple(versions), tuple(metadata), tuple(tags))


def version_taken(
    metadata: MetadataStore, planned: PlannedStep, pipeline_name: str, run_started: datetime
) -> ArtifactVersionExistsError | None:
    """The error for an output whose given version exists already, or None."""
    for spec in planned.invocation.step.signature.outputs:
        if spec.config is None or spec.config.version is None:
            continue
        name = _version_name(spec, planned, pipeline_name, run_started)
        found = metadata.get_artifact_version(name, spec.config.version)
        if found is not None:
            return ArtifactVersionExistsError(
                name,
                spec.config.version,
                f" (output '{spec.name}' of step '{planned.name}' asks for it in "
                "ArtifactConfig(version=...), and the step is executing rather than cached)",
            )
    return None


def model_links(
    planned: PlannedStep,
    model_version_id: str,
    pipeline_name: str,
    run_started: datetime,
    outputs: dict[str, ArtifactRecord],
) -> tuple[ModelArtifactLink, ...]:
    """The step's ``outputs`` linked to the model version the step works on: a model artifact
    for an output declared ``ArtifactType.MODEL``, a data artifact for the others. Cached steps
    link too: the version records what the run used, whether or not it executed it."""
    links = []
    for spec in planned.invocation.step.signature.outputs:
        artifact = outputs.get(spec.name)
        if artifact is None:
            continue
        is_model = spec.config is not None and spec.config.artifact_type is ArtifactType.MODEL
        name = _version_name(spec, planned, pipeline_name, run_started)
        links.append(
            ModelArtifactLink(model_version_id, artifact.id, name, "model" if is_model else "data")
        )
    return tuple(links)
