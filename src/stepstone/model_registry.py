"""The model control plane as users read it: recorded models and their versions.

``Client().get_model(name)`` is a :class:`RecordedModel`; ``Client().get_model_version(name,
"production")`` (and a ``Model`` resolved for a run) a :class:`ModelVersion`, whose linked
artifacts load like any artifact version and whose stage is set with :meth:`ModelVersion.set_stage`.
What a run works on is defined by :class:`stepstone.steps.model.Model`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stepstone.enums import ModelStages
from stepstone.metadata.records import MetadataResource, ModelRecord, ModelVersionRecord
from stepstone.models import ArtifactVersion

if TYPE_CHECKING:
    from stepstone.stores import Stores


class ModelVersion:
    """A recorded version of a model (``Client().get_model_version(name, version)``).

    ``name`` is the version's name (``"3"`` unless one was given), ``number`` its number,
    ``stage`` its :class:`~stepstone.enums.ModelStages` (``None`` until promoted) and
    ``model`` the model it belongs to.
    """

    def __init__(self, record: ModelVersionRecord, stores: Stores) -> None:
        self.record = record
        self._stores = stores

    id = property(lambda self: self.record.id)
    name = property(lambda self: self.record.name)
    version = property(lambda self: self.record.name)
    number = property(lambda self: self.record.number)
    model_name = property(lambda self: self.record.model_name)
    created = property(lambda self: self.record.created_at)
    run_id = property(lambda self: self.record.run_id)

    @property
    def stage(self) -> ModelStages | None:
        return ModelStages(self.record.stage) if self.record.stage else None

    @property
    def model(self) -> RecordedModel:
        return RecordedModel(self.model_name, self._stores)

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Key -> value logged on this version (``log_metadata(infer_model=True)``, ...)."""
        found = self._stores.metadata.get_metadata(MetadataResource.MODEL_VERSION, [self.id])
        return found.get(self.id, {})

    def log_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Log ``metadata`` on this version (ZenML's ``Model.log_metadata``)."""
        from stepstone.metadata.records import MetadataEntry
        from stepstone.metadata.values import normalize_metadata

        values = normalize_metadata(metadata, f"Model '{self.model_name}' version {self.name}")
        self._stores.metadata.log_metadata(
            [
                MetadataEntry(MetadataResource.MODEL_VERSION, self.id, k, v)
                for k, v in values.items()
            ]
        )

    def _linked(self, kind: str | None) -> dict[str, ArtifactVersion]:
        """Artifact name -> the newest linked version of it (of ``kind``, or any)."""
        metadata = self._stores.metadata
        links = metadata.model_version_artifacts(self.id)
        versions = metadata.get_artifact_versions([artifact.id for _, artifact in links])
        found: dict[str, ArtifactVersion] = {}
        for link, artifact in links:
            record = versions.get(artifact.id)
            if record is not None and (kind is None or link.kind == kind):
                found[link.name] = ArtifactVersion(record, self._stores)
        return found

    @property
    def model_artifacts(self) -> dict[str, ArtifactVersion]:
        """Artifact name -> the model artifact (``ArtifactType.MODEL``) linked to this version."""
        return self._linked("model")

    @property
    def data_artifacts(self) -> dict[str, ArtifactVersion]:
        """Artifact name -> each other artifact the version's steps produced."""
        return self._linked("data")

    def get_artifact(self, name: str) -> ArtifactVersion | None:
        """The artifact of this name linked to the version, or ``None`` (as in ZenML)."""
        return self._linked(None).get(name)

    def get_model_artifact(self, name: str) -> ArtifactVersion | None:
        return self.model_artifacts.get(name)

    def get_data_artifact(self, name: str) -> ArtifactVersion | None:
        return self.data_artifacts.get(name)

    def load_artifact(self, name: str) -> Any:
        """Load the linked artifact ``name``.

        Raises:
            ArtifactVersionNotFoundError: no artifact of that name is linked (with the names).
        """
        linked = self._linked(None)
        if name not in linked:
            from stepstone.exceptions import ArtifactVersionNotFoundError

            raise ArtifactVersionNotFoundError(
                name,
                None,
                difflib.get_close_matches(name, list(linked), n=1),
                f" Model '{self.model_name}' version {self.name} links: "
                f"{', '.join(linked) or 'nothing'}.",
            )
        return linked[name].load()

    def set_stage(self, stage: ModelStages | str, force: bool = False) -> None:
        """Promote the version to ``stage`` (``staging``, ``production`` or ``archived``).

        ``staging`` and ``production`` are held by one version at a time: another version
        holding it is archived with ``force=True``, and without it this raises.

        Raises:
            ModelStageError: an unknown stage, ``latest``, or a stage held and no ``force``.
        """
        value = check_stage(stage)
        self._stores.metadata.set_model_stage(self.record, value, force)
        found = self._stores.metadata.get_model_version(self.model_name, str(self.number))
        if found is not None:
            self.record = found

    def __repr__(self) -> str:
        stage = f" ({self.record.stage})" if self.record.stage else ""
        return f"<ModelVersion '{self.model_name}' version {self.name}{stage}>"


def check_stage(stage: object) -> str:
    """A stage a version can be put in, as stored; else ``ModelStageError`` with the stages."""
    from stepstone.exceptions import ModelStageError, did_you_mean

    text = str(getattr(stage, "value", stage)).lower()
    settable = [ModelStages.STAGING.value, ModelStages.PRODUCTION.value, ModelStages.ARCHIVED.value]
    if text == ModelStages.LATEST.value:
        raise ModelStageError(
            "'latest' is not a stage a version is put in: it names the newest version. "
            f"Stages: {', '.join(settable)}."
        )
    if text not in settable:
        raise ModelStageError(
            f"'{stage}' is not a model stage.{did_you_mean(text, settable)} "
            f"Stages: {', '.join(settable)} "
            "(stepstone.enums.ModelStages)."
        )
    return text


class RecordedModel:
    """A model as recorded (``Client().get_model(name)``): its details and versions."""

    def __init__(self, name: str, stores: Stores) -> None:
        self.name = name
        self._stores = stores

    def _record(self) -> ModelRecord:
        from stepstone.exceptions import ModelNotFoundError

        record = self._stores.metadata.get_model(self.name)
        if record is None:
            raise ModelNotFoundError(self.name)
        return record

    @property
    def id(self) -> str:
        return self._record().id

    @property
    def details(self) -> dict[str, Any]:
        return dict(self._record().details)

    @property
    def tags(self) -> list[str]:
        return list(self.details.get("tags", []))

    def __getattr__(self, name: str) -> Any:
        from stepstone.steps.model import DETAIL_FIELDS

        if name in DETAIL_FIELDS:
            return self.details.get(name)
        raise AttributeError(f"'RecordedModel' object has no attribute '{name}'")

    @property
    def versions(self) -> list[ModelVersion]:
        """Every version, newest first."""
        records = self._stores.metadata.list_model_versions(self.name)
        return [ModelVersion(record, self._stores) for record in records]

    @property
    def latest_version(self) -> ModelVersion | None:
        versions = self.versions
        return versions[0] if versions else None

    def __repr__(self) -> str:
        return f"<RecordedModel '{self.name}'>"
