"""A step run's captured output (``stepstone logs --json``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from stepstone.metadata.records import StepStatus
from stepstone.read_model.sources import SourceRun


class StepLogs(BaseModel):
    """A step run's captured output (``stepstone logs --json``).

    A cached step's logs are those of the execution it reused, named by ``logs_from``.
    """

    run_id: str
    run_name: str
    step: str = Field(description="The invocation name: the step's name in the pipeline.")
    status: StepStatus
    logs_from: SourceRun | None = Field(
        description="For a cached step: the execution whose logs these are."
    )
    logs: str | None = Field(description="Null when nothing was captured (or it was deleted).")
    error: str | None = Field(description="A failed step's traceback.")
