"""Enumerations ZenML programs import from ``zenml.enums``.

``ArtifactType`` says what an artifact version holds. It is recorded with every version (shown
by ``stepstone artifacts list --name``) and changes nothing about how the value is stored: the
materializer decides that.
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


__all__ = ["ArtifactType"]
