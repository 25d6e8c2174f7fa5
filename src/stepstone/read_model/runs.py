"""A pipeline run as ``runs list --json`` and the dashboard's runs list show it per row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stepstone.metadata.records import PipelineRunRecord, RunStatus
from stepstone.read_model.run_fields import run_fields


class RunView(BaseModel):
    """One pipeline run: what ``runs list`` shows per row."""

    id: str
    name: str
    pipeline_name: str
    status: RunStatus = Field(
        description="running, completed, failed, or interrupted: recorded running, but the "
        "process that drove it (on this host) is gone."
    )
    started_at: datetime
    ended_at: datetime | None
    duration: float | None = Field(description="Seconds from start to end; null while running.")
    host: str | None = Field(
        default=None, description="The host that drove the run (null for older runs)."
    )
    pid: int | None = Field(default=None, description="The id of the process that drove it.")
    step_count: int
    cached_count: int
    ran_count: int = Field(description="Steps that executed (completed or failed).")
    parameters: dict[str, Any]
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The run's recorded configuration (enable_cache, enable_step_logs, "
        "settings, extra) and under 'steps' each step's.",
    )

    @classmethod
    def of(cls, record: PipelineRunRecord) -> RunView:
        return cls(**run_fields(record))
