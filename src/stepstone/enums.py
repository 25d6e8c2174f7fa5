"""Enumerations ZenML programs import from ``zenml.enums``.

``ArtifactType`` says what an artifact version holds. It is recorded with every version (shown
by ``stepstone artifacts list --name``) and changes nothing about how the value is stored: the
materializer decides that. ``ModelStages`` are the stages a model version is promoted through.
"""

from __future__ import annotations

from enum import StrEnum


class ArtifactType(StrEnum):
    """What an artifact version holds (ZenML's values, so stored types read the same)."""

    DATA = "DataArtifact"
    MODEL = "ModelArtifact"
    SERVICE = "ServiceArtifact"
    SCHEMA = "SchemaArtifact"
    STATISTICS = "StatisticsArtifact"
    DATA_ANALYSIS = "DataAnalysisArtifact"
    BASE = "BaseArtifact"


class ModelStages(StrEnum):
    """The stages of a model version (ZenML's). ``latest`` is not a stage a version is put in:
    it names the newest version when a version is asked for."""

    NONE = "none"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"
    LATEST = "latest"


__all__ = ["ArtifactType", "ModelStages"]
