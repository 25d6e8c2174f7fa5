"""stepstone: machine-learning pipelines that rerun only what changed.

>>> from stepstone import step, pipeline
>>> @step
... def add(a: int, b: int) -> int:
...     return a + b
>>> add(1, 2)
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stepstone.exceptions import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    CacheError,
    DefinitionError,
    PipelineDefinitionError,
    RunNotFoundError,
    StepDefinitionError,
    StepExecutionError,
    StepstoneError,
    StorageError,
)
from stepstone.pipeline import Pipeline, pipeline
from stepstone.steps import Step, step

if TYPE_CHECKING:
    from stepstone.artifacts.external import ExternalArtifact
    from stepstone.client import Client
    from stepstone.execution.context import get_step_context
    from stepstone.execution.logged import log_metadata
    from stepstone.model_registry import ModelVersion
    from stepstone.models import Artifact, ArtifactVersion, PipelineRun, StepRun
    from stepstone.pipeline.context import get_pipeline_context
    from stepstone.saving import load_artifact, save_artifact
    from stepstone.steps.artifact_config import ArtifactConfig
    from stepstone.steps.base_step_config import BaseStepConfig
    from stepstone.steps.model import Model
    from stepstone.steps.step_output import Output

__version__ = "0.1.0"

__all__ = [
    "Artifact",
    "ArtifactConfig",
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "ArtifactVersion",
    "BaseStepConfig",
    "CacheError",
    "Client",
    "DefinitionError",
    "ExternalArtifact",
    "Model",
    "ModelVersion",
    "Output",
    "Pipeline",
    "PipelineDefinitionError",
    "PipelineRun",
    "RunNotFoundError",
    "Step",
    "StepDefinitionError",
    "StepExecutionError",
    "StepRun",
    "StepstoneError",
    "StorageError",
    "__version__",
    "get_pipeline_context",
    "get_step_context",
    "load_artifact",
    "log_metadata",
    "pipeline",
    "save_artifact",
    "step",
]

_LAZY = {
    "Client": "stepstone.client",
    "Artifact": "stepstone.models",
    "ArtifactVersion": "stepstone.models",
    "ArtifactConfig": "stepstone.steps.artifact_config",
    "save_artifact": "stepstone.saving",
    "Model": "stepstone.steps.model",
    "ModelVersion": "stepstone.model_registry",
    "load_artifact": "stepstone.saving",
    "PipelineRun": "stepstone.models",
    "StepRun": "stepstone.models",
    "ExternalArtifact": "stepstone.artifacts.external",
    "get_step_context": "stepstone.execution.context",
    "get_pipeline_context": "stepstone.pipeline.context",
    "log_metadata": "stepstone.execution.logged",
    "BaseStepConfig": "stepstone.steps.base_step_config",
    "Output": "stepstone.steps.step_output",
}


def __getattr__(name: str) -> Any:
    """Import read-side classes on first use, keeping ``import stepstone`` fast."""
    from stepstone._lazy import load_attribute

    return load_attribute(__name__, _LAZY, globals(), name)
