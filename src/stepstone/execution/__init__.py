"""Running one step: load inputs, call the function, save outputs, capture logs."""

from stepstone.execution.runner import execute_step
from stepstone.execution.task import InputRef, StepResult, StepTask

__all__ = ["InputRef", "StepResult", "StepTask", "execute_step"]
