"""Pure step definitions: ``@step``, signatures, and what a call inside a pipeline records."""

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
