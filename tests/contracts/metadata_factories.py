"""Records for the metadata store tests: runs, step runs and artifacts with fixed, aware times."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from stepstone.cache.manifest import KeyManifest
from stepstone.metadata import (
    ArtifactRecord,
    MetadataStore,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
)

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def key(label: str) -> str:
    """A 64-character cache key."""
    return (label.encode().hex() + "0" * 64)[:64]


def make_run(
    name: str = "", pipeline: str = "training", started: datetime = T0, **fields: object
) -> PipelineRunRecord:
    run_id = uuid.uuid4().hex
    return PipelineRunRecord(
        id=run_id,
        name=name or f"{pipeline}-{run_id[:8]}",
        pipeline_name=pipeline,
        status=str(fields.pop("status", "running")),
        started_at=started,
        ended_at=None,
        parameters=dict(fields.pop("parameters", {"epochs": 2})),  # type: ignore[call-overload]
        graph=dict(fields.pop("graph", {})),  # type: ignore[call-overload]
    )


def make_artifact(producer: str | None, *, size: int = 1024, label: str = "x") -> ArtifactRecord:
    return ArtifactRecord(
        id=uuid.uuid4().hex,
        content_hash=key(label),
        uri=f"/artifacts/{label}",
        data_type="numpy.ndarray",
        materializer="stepstone.numpy",
        materializer_version="1",
        size=size,
        producer_step_run_id=producer,
        created_at=T0 + timedelta(seconds=1),
        summary={"shape": [10, 3], "dtype": "float32"},
    )


def make_step(
    run: PipelineRunRecord,
    name: str,
    position: int,
    *,
    status: str = "completed",
    cache_key: str | None = None,
    inputs: dict[str, ArtifactRecord] | None = None,
    outputs: dict[str, ArtifactRecord] | None = None,
    step_id: str | None = None,
    cached_from: str | None = None,
) -> StepRunRecord:
    return StepRunRecord(
        id=step_id or uuid.uuid4().hex,
        run_id=run.id,
        name=name,
        definition_name=name.split("_")[0],
        status=status,
        position=position,
        started_at=T0 + timedelta(seconds=position),
        ended_at=T0 + timedelta(seconds=position, milliseconds=500),
        duration=0.5,
        cache_key=cache_key,
        manifest=KeyManifest(components={"code": "abc", "parameters": {"lr": 0.01}, "inputs": {}}),
        parameters={"lr": 0.01, "name": "ünïcode"},
        cached_from=cached_from,
        inputs=inputs or {},
        outputs=outputs or {},
    )


def executed(
    run: PipelineRunRecord, name: str, position: int, *, cache: str | None = None, **kw: object
) -> StepRunWrite:
    """The write of an executed step with one fresh output artifact and a cache entry."""
    step_id = uuid.uuid4().hex
    artifact = make_artifact(step_id, label=f"{name}-{position}")
    step = make_step(
        run, name, position, step_id=step_id, cache_key=cache, outputs={"output": artifact}, **kw
    )  # type: ignore[arg-type]
    return StepRunWrite(step, (artifact,), logs=f"log of {name}\n", cache_entry=cache is not None)


def started(store: MetadataStore, **kw: object) -> PipelineRunRecord:
    run = make_run(**kw)  # type: ignore[arg-type]
    store.create_run(run)
    return run


def shared_history(store: MetadataStore) -> tuple[PipelineRunRecord, ...]:
    """Run 1 executes load and train; run 2 reuses load from the cache and reruns train."""
    first = started(store)
    load = executed(first, "load", 0, cache=key("load"))
    external = make_artifact(None, label="external")
    train_id = uuid.uuid4().hex
    model = make_artifact(train_id, label="model-1")
    inputs = {"X": load.step_run.outputs["output"], "lr_table": external}
    train = make_step(first, "train", 1, step_id=train_id, inputs=inputs, outputs={"model": model})
    train = replace(train, cache_key=key("train-1"))
    store.record_step_runs(
        [load, StepRunWrite(train, (external, model), logs="epoch\n", cache_entry=True)]
    )
    second = started(store, started=T0 + timedelta(hours=1))
    cached = make_step(
        second,
        "load",
        0,
        status="cached",
        cached_from=load.step_run.id,
        outputs=load.step_run.outputs,
    )
    train_2 = executed(second, "train", 1, cache=key("train-2"))
    store.record_step_runs([StepRunWrite(cached), train_2])
    return first, second
