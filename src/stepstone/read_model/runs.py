"""A pipeline run as ``runs list`` shows it per row, and the fields every run view shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stepstone.metadata.records import PipelineRunRecord, RunStatus


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


def run_fields(record: PipelineRunRecord) -> dict[str, Any]:
    """The fields of :class:`RunView` (subclasses add theirs to these)."""
    end = record.ended_at
    return {
        "id": record.id,
        "name": record.name,
        "pipeline_name": record.pipeline_name,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": end,
        "duration": None if end is None else max((end - record.started_at).total_seconds(), 0.0),
        "host": record.host,
        "pid": record.pid,
        "step_count": record.step_count,
        "cached_count": record.cached_count,
        "ran_count": record.step_count - record.cached_count,
        "parameters": dict(record.parameters),
        "config": recorded_config(record),
    }


def recorded_config(record: PipelineRunRecord) -> dict[str, Any]:
    """The run's configuration as stored in its graph document, with each step's under
    ``steps`` (empty for a run recorded before configuration was stored)."""
    config = dict(record.graph.get("config") or {})
    steps = {e["name"]: e["config"] for e in record.graph.get("steps", []) if e.get("config")}
    if steps:
        config["steps"] = steps
    return config
