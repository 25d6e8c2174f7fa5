"""Pure step definitions: ``@step``, signatures, and what a call inside a pipeline records.

The class-based API of ZenML before 0.40 is here too: ``BaseStepConfig`` (also
``BaseParameters``), ``Output`` and step instances (:mod:`stepstone.steps.class_based`).

``get_step_context`` and ``StepContext`` are found here too (where ZenML programs import them
from), loaded on first use from :mod:`stepstone.execution.context`.
"""

from typing import Any

from stepstone.steps.class_based import StepInstance
from stepstone.steps.definition import Step, StepOptions, step
from stepstone.steps.invocation import Invocation, OutputHandle
from stepstone.steps.signature import OutputSpec, StepSignature
from stepstone.steps.step_output import Output

__all__ = [
    "BaseParameters",
    "BaseStepConfig",
    "Invocation",
    "Output",
    "OutputHandle",
    "OutputSpec",
    "Step",
    "StepContext",
    "StepInstance",
    "StepOptions",
    "StepSignature",
    "get_step_context",
    "step",
]

_LAZY = {
    "BaseParameters": "stepstone.steps.base_step_config",
    "BaseStepConfig": "stepstone.steps.base_step_config",
    "StepContext": "stepstone.execution.context",
    "get_step_context": "stepstone.execution.context",
}


def __getattr__(name: str) -> Any:
    """The step context API, imported on first use (it lives with step execution)."""
    from stepstone._lazy import load_attribute

    return load_attribute(__name__, _LAZY, globals(), name)
