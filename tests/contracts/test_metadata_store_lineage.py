"""The metadata store contract, artifacts and lineage: lookups by prefix, a run's artifacts,
the edges across runs. Public interface only, on every backend.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, timedelta

from contracts.metadata_factories import (
    T0,
    executed,
    key,
    make_artifact,
    make_step,
    started,
)
from stepstone.metadata import (
    ArtifactLink,
    ArtifactRecord,
    MetadataStore,
    StepRunWrite,
)


def _artifact_at(label: str, seconds: int, producer: str | None = None) -> ArtifactRecord:
    artifact = make_artifact(producer, label=label, size=100 + seconds)
    return replace(artifact, created_at=T0 + timedelta(seconds=seconds))


def test_get_and_find_artifacts_by_id_or_content_hash_prefix(
    metadata_store: MetadataStore,
) -> None:
    run = started(metadata_store)
    old, new = _artifact_at("alpha", 1), _artifact_at("alps", 2)
    step = make_step(run, "load", 0, outputs={"a": old, "b": new})
    metadata_store.record_step_runs([StepRunWrite(step, (old, new))])

    assert metadata_store.get_artifact(old.id) == old
    assert metadata_store.get_artifact(old.id[:8]) is None  # exact ids only
    assert metadata_store.get_artifact(uuid.uuid4().hex) is None
    assert metadata_store.find_artifacts(old.id[:6]) == [old]
    assert metadata_store.find_artifacts(new.id) == [new]
    assert metadata_store.find_artifacts(key("alp")[:6]) == [new, old]  # hash prefix, newest first
    assert metadata_store.find_artifacts(key("alpha")[:10]) == [old]
    assert metadata_store.find_artifacts(key("alp")[:6], limit=1) == [new]
    assert metadata_store.find_artifacts("%") == []  # LIKE wildcards are escaped
    assert metadata_store.find_artifacts("_") == []
    assert metadata_store.find_artifacts("zz") == []


def test_list_artifacts_of_a_run_deduplicated_newest_first(metadata_store: MetadataStore) -> None:
    first = started(metadata_store)
    load_id = uuid.uuid4().hex
    data = _artifact_at("data", 1, load_id)
    external = _artifact_at("external", 2)
    load = make_step(first, "load", 0, step_id=load_id, outputs={"output": data})
    # Two steps read `data`: the run lists it once.
    split = make_step(first, "split", 1, inputs={"X": data, "extra": external})
    stats = make_step(first, "stats", 2, inputs={"X": data})
    metadata_store.record_step_runs(
        [StepRunWrite(load, (data,)), StepRunWrite(split, (external,)), StepRunWrite(stats)]
    )
    second = started(metadata_store, started=T0 + timedelta(hours=1))
    model = _artifact_at("model", 3)
    cached = make_step(second, "load", 0, status="cached", outputs={"output": data})
    train = make_step(second, "train", 1, inputs={"X": data}, outputs={"model": model})
    metadata_store.record_step_runs([StepRunWrite(cached), StepRunWrite(train, (model,))])

    assert metadata_store.list_artifacts(first.id) == [external, data]
    assert metadata_store.list_artifacts(second.id) == [model, data]
    assert metadata_store.list_artifacts() == [model, external, data]
    assert metadata_store.list_artifacts(limit=2, offset=1) == [external, data]
    assert metadata_store.list_artifacts(second.id, limit=1, offset=1) == [data]
    assert metadata_store.list_artifacts(uuid.uuid4().hex) == []


def test_artifact_links_span_runs_oldest_first(metadata_store: MetadataStore) -> None:
    first = started(metadata_store, name="first")
    load = executed(first, "load", 0, cache=key("load"))
    data = load.step_run.outputs["output"]
    train = make_step(first, "train", 1, inputs={"X": data})
    metadata_store.record_step_runs([load, StepRunWrite(train)])
    second = started(metadata_store, pipeline="other", name="second", started=T0 + timedelta(1))
    cached = make_step(second, "load", 0, status="cached", outputs={"output": data})
    cached = replace(cached, started_at=second.started_at)
    metadata_store.record_step_runs([StepRunWrite(cached)])

    links = metadata_store.artifact_links(data.id)

    assert [(link.step_run_id, link.direction, link.name) for link in links] == [
        (load.step_run.id, "output", "output"),
        (train.id, "input", "X"),
        (cached.id, "output", "output"),
    ]
    assert links[1] == ArtifactLink(
        artifact_id=data.id,
        step_run_id=train.id,
        invocation_name="train",
        step_status="completed",
        run_id=first.id,
        run_name="first",
        pipeline_name="training",
        direction="input",
        name="X",
        started_at=train.started_at,
    )
    assert (links[2].run_name, links[2].pipeline_name, links[2].step_status) == (
        "second",
        "other",
        "cached",
    )
    assert links[2].started_at == second.started_at and links[2].started_at.tzinfo == UTC
    assert metadata_store.artifact_links(uuid.uuid4().hex) == []


def test_referenced_content_hashes_are_those_of_every_artifact(
    metadata_store: MetadataStore,
) -> None:
    assert metadata_store.referenced_content_hashes() == set()
    run = started(metadata_store)
    external = make_artifact(None, label="ext")
    twin = make_artifact(None, label="ext")  # same bytes, another record
    load = executed(run, "load", 0)
    train = make_step(run, "train", 1, inputs={"a": external, "b": twin})
    metadata_store.record_step_runs([load, StepRunWrite(train, (external, twin))])

    assert metadata_store.referenced_content_hashes() == {key("ext"), key("load-0")}
