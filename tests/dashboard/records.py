"""Writing runs straight through the metadata store: a run in progress, caught mid-way.

The driver writes a run's record when it starts and each step run as it finishes; these
helpers do the same by hand, so a test can look at the dashboard between two steps.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from stepstone.cache.manifest import Decision, KeyManifest
from stepstone.metadata import (
    ArtifactRecord,
    MetadataStore,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
)

LIVE_GRAPH: dict[str, Any] = {
    "steps": [
        {
            "name": "load",
            "definition_name": "load",
            "upstream": [],
            "inputs": {},
            "outputs": ["rows"],
        },
        {
            "name": "fit",
            "definition_name": "fit",
            "upstream": ["load"],
            "inputs": {"rows": ["load", "rows"]},
            "outputs": ["model"],
        },
        {
            "name": "report",
            "definition_name": "report",
            "upstream": ["fit"],
            "inputs": {"model": ["fit", "model"]},
            "outputs": ["output"],
        },
    ]
}


def run_records_graph() -> bool:
    """Whether run records have a planned graph (``PipelineRunRecord.graph``)."""
    return any(field.name == "graph" for field in dataclasses.fields(PipelineRunRecord))


def graph_stored(store: MetadataStore, run: PipelineRunRecord) -> bool:
    """Whether the store gives back the graph ``run`` was recorded with."""
    stored = store.get_run(run.id)
    return bool(getattr(stored, "graph", None)) and stored.graph == getattr(run, "graph", None)


def start_run(store: MetadataStore, pipeline_name: str, graph: dict[str, Any]) -> PipelineRunRecord:
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "name": f"{pipeline_name}-{now:%Y_%m_%d-%H_%M_%S_%f}",
        "pipeline_name": pipeline_name,
        "status": "running",
        "started_at": now,
        "ended_at": None,
        "parameters": {"rows": 3},
    }
    if run_records_graph():
        fields["graph"] = graph
    run = PipelineRunRecord(**fields)
    store.create_run(run)
    return run


def record_step(
    store: MetadataStore,
    run: PipelineRunRecord,
    name: str,
    position: int,
    *,
    inputs: dict[str, ArtifactRecord] | None = None,
    output: str = "output",
    seconds: float = 0.25,
) -> StepRunRecord:
    """Record step ``name`` of ``run`` as executed, with one output artifact."""
    step_run_id = uuid.uuid4().hex
    started = datetime.now(UTC)
    digest = hashlib.sha256(f"{run.id}{name}".encode()).hexdigest()
    artifact = ArtifactRecord(
        id=uuid.uuid4().hex,
        content_hash=digest,
        uri=f"memory://{digest}",
        data_type="builtins.dict",
        materializer="builtins.json",
        materializer_version="1",
        size=42,
        producer_step_run_id=step_run_id,
        created_at=started,
        summary={"type": "dict"},
    )
    record = StepRunRecord(
        id=step_run_id,
        run_id=run.id,
        name=name,
        definition_name=name,
        status="completed",
        position=position,
        started_at=started,
        ended_at=started + timedelta(seconds=seconds),
        duration=seconds,
        cache_key=digest,
        manifest=KeyManifest(
            input_steps={arg: _step_of(arg) for arg in inputs or {}},
            decision=Decision.MISS,
        ),
        parameters={},
        inputs=dict(inputs or {}),
        outputs={output: artifact},
    )
    store.record_step_runs(
        [StepRunWrite(record, new_artifacts=(artifact,), logs=f"{name} ran\n", cache_entry=True)]
    )
    return record


def _step_of(arg: str) -> str:
    return {"rows": "load", "model": "fit"}.get(arg, arg)
