"""``ArtifactConfig`` where ZenML programs import it from (``zenml.artifacts.artifact_config``).

It is defined with the step signatures that read it: :mod:`stepstone.steps.artifact_config`.
"""

from __future__ import annotations

from stepstone.steps.artifact_config import ArtifactConfig

__all__ = ["ArtifactConfig"]
