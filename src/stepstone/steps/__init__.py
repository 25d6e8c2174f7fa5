"""Pure step definitions: ``@step``, signatures, and what a call inside a pipeline records.

``get_step_context`` and ``StepContext`` are found here too (where ZenML programs import them
from), loaded on first use from :mod:`stepstone.execution.context`.
"""

from typing import Any

from stepstone.steps.definition import Step, StepOptions, step
from stepstone.steps.invocation import Invocation, OutputHandle
from stepstone.steps.signature import OutputSpec, StepSignature

__all__ = [
    "Invocation",
    "OutputHandle",
    "OutputSpec",
    "Step",
    "StepOptions",
    "StepSignature",
    "step",
]

_LAZY = {
    "StepContext": "stepstone.execution.context",
    "get_step_context": "stepstone.execution.context",
}


def __getattr__(name: str) -> Any:
    """The step context API, imported on first use (it lives with step execution)."""
    from stepstone._lazy import load_attribute

    return load_attribute(__name__, _LAZY, globals(), name)
