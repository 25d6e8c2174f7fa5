"""``ExternalArtifact``: a value handed to a step inside a pipeline as an artifact.

Passing ``ExternalArtifact(value=data)`` to a step is the same as passing ``data`` when it is
not a parameter: the driver stores it in the artifact store, and the step's cache key holds the
stored bytes' content hash, so an equal value next run is a cache hit and a changed one a miss.
The wrapper says so explicitly (a small value that would otherwise be a parameter is stored as
an artifact too), and is what ZenML programs write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stepstone.exceptions import DefinitionError


@dataclass(frozen=True, slots=True)
class ExternalArtifact:
    """A value passed into a pipeline's step as an artifact, keyed by its content."""

    value: Any

    def __post_init__(self) -> None:
        if isinstance(self.value, ExternalArtifact):
            raise DefinitionError(
                "ExternalArtifact(value=ExternalArtifact(...)) wraps a value twice; pass the "
                "inner value: ExternalArtifact(value=data)."
            )
