"""The fields of a run's view, computed from its record without pydantic.

:class:`~stepstone.read_model.runs.RunView` is these fields validated; the table of
``stepstone runs list`` draws them as they are, so listing runs never imports pydantic
(about a third of that command's start-up). One function, so the table, the ``--json``
document and the dashboard cannot disagree on a run's duration or counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stepstone.metadata.records import PipelineRunRecord


def run_fields(record: PipelineRunRecord) -> dict[str, Any]:
    """The fields of :class:`~stepstone.read_model.runs.RunView` (subclasses add theirs)."""
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
