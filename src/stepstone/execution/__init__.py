"""Running one step: load inputs, call the function, save outputs, capture logs."""

from stepstone.execution.runner import execute_step
from stepstone.execution.task import InputRef, StepResult, StepTask, StoreSpec
from stepstone.execution.worker import register_store, run_task

__all__ = [
    "InputRef",
    "StepResult",
    "StepTask",
    "StoreSpec",
    "execute_step",
    "register_store",
    "run_task",
]
