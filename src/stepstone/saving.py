"""``save_artifact`` and ``load_artifact``: named artifact versions outside pipelines.

A value saved here is stored like a step output (content-addressed, verified when loaded) and
recorded as the next version of its name, or the version given; it has no producing step. It
is the same kind of version a pipeline's step creates, so ``load_artifact("iris_dataset")``
loads the newest of either, and passing the version into a step inside a pipeline keys that
step by the value's content like any other input.

Inside a running step, ``save_artifact`` is refused: a step's results are its outputs, which
the run driver records (workers never write to the metadata store). ``load_artifact`` works
anywhere the stores can be opened, but what a step loads this way is not part of its cache key:
pass the version into the step as an argument instead, and its content keys the step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from stepstone.artifacts import Materializer
from stepstone.client import Client
from stepstone.enums import ArtifactType
from stepstone.exceptions import ArtifactVersionExistsError, UsageError, did_you_mean
from stepstone.execution.context import current_step_context
from stepstone.metadata.records import (
    ArtifactTag,
    MetadataEntry,
    MetadataResource,
    NewArtifactVersion,
)
from stepstone.metadata.values import normalize_metadata
from stepstone.models import ArtifactVersion
from stepstone.steps.artifact_config import check_tags, check_version, resolve_artifact_type
from stepstone.stores import artifact_record

_OPTIONS = (
    "data",
    "name",
    "version",
    "tags",
    "artifact_type",
    "user_metadata",
    "materializer",
    "is_model_artifact",
    "is_deployment_artifact",
    "extract_metadata",
    "include_visualizations",
)


def save_artifact(
    data: Any,
    name: str,
    version: str | int | None = None,
    *,
    tags: Sequence[str] | None = None,
    artifact_type: ArtifactType | str | None = None,
    user_metadata: Mapping[str, Any] | None = None,
    materializer: type[Materializer] | str | None = None,
    is_model_artifact: bool = False,
    is_deployment_artifact: bool = False,
    extract_metadata: bool = True,
    include_visualizations: bool = True,
    **unknown: Any,
) -> ArtifactVersion:
    """Store ``data`` as a version of the artifact ``name`` and return that version.

    ``version`` defaults to the name's next number; a version that exists is refused.
    ``user_metadata`` is logged on the version. ``extract_metadata`` and
    ``include_visualizations`` are ZenML's switches for what is extracted from the value:
    stepstone always records a small summary (shape, length) and makes no visualizations, so
    they change nothing.

    Example:
        >>> from stepstone import load_artifact, save_artifact
        >>> save_artifact([1, 2, 3], name="numbers").version      # doctest: +SKIP
        '1'
        >>> load_artifact("numbers")                              # doctest: +SKIP
        [1, 2, 3]

    Raises:
        UsageError: called inside a running step, or with an option it does not have.
        ArtifactVersionExistsError: ``version`` of ``name`` is recorded already.
    """
    del extract_metadata, include_visualizations  # see the docstring: nothing to switch
    if unknown:
        wrong = sorted(unknown)[0]
        raise UsageError(
            f"save_artifact has no option '{wrong}'.{did_you_mean(wrong, _OPTIONS)} "
            f"Its options: {', '.join(_OPTIONS)}."
        )
    context = current_step_context()
    if context is not None:
        raise UsageError(
            f"save_artifact('{name}') inside step '{context.step_name}': a step's results are "
            "its outputs. Return the value and name it with "
            f"Annotated[T, ArtifactConfig(name={name!r})]; it becomes a version of '{name}'."
        )
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"save_artifact(name={name!r}): a name is a non-empty string.")
    given = check_version(version, "save_artifact")
    kind = resolve_artifact_type(
        artifact_type, is_model_artifact, is_deployment_artifact, where="save_artifact"
    )
    metadata = normalize_metadata(user_metadata or {}, f"save_artifact('{name}')")
    client = Client()
    stores = client.stores
    if given is not None and stores.metadata.get_artifact_version(name, given) is not None:
        raise ArtifactVersionExistsError(name, given)
    stored = stores.artifacts.save(data, materializer=materializer)
    now = datetime.now(UTC)
    artifact = artifact_record(stored, None, now)
    new = NewArtifactVersion(artifact.id, name, given, kind.value, True, now)
    (record,) = stores.metadata.save_artifact_versions(
        [artifact],
        [new],
        [
            MetadataEntry(MetadataResource.ARTIFACT_VERSION, artifact.id, key, value)
            for key, value in metadata.items()
        ],
        [ArtifactTag(artifact.id, tag) for tag in check_tags(tags, "save_artifact")],
    )
    return ArtifactVersion(record, stores)


def load_artifact(name_or_id: str, version: str | int | None = None) -> Any:
    """Load version ``version`` of the artifact ``name_or_id`` (the latest when None).

    ``name_or_id`` may also be an artifact version's id. Raises
    :class:`~stepstone.exceptions.ArtifactVersionNotFoundError` (with close names) if there is
    no such version.
    """
    return Client().get_artifact_version(name_or_id, version).load()
