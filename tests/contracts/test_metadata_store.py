"""The metadata store contract: what the driver, the client and the CLI rely on, per backend.

Every test here runs against a fresh SQLite file and a fresh PostgreSQL schema
(see ``metadata_url`` in ``conftest.py``).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from stepstone.exceptions import MetadataStoreError, RunNotFoundError
from stepstone.metadata import (
    ArtifactLink,
    ArtifactRecord,
    CacheEntryRecord,
    CacheHit,
    DeletedRun,
    MetadataStore,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
    open_metadata_store,
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
        step_name=name.split("_")[0],
        status=status,
        position=position,
        started_at=T0 + timedelta(seconds=position),
        ended_at=T0 + timedelta(seconds=position, milliseconds=500),
        duration=0.5,
        cache_key=cache_key,
        cache_components={"code": "abc", "parameters": {"lr": 0.01}, "inputs": {}},
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


# -- runs ------------------------------------------------------------------------------------


def test_run_round_trips_with_aware_utc_datetimes(metadata_store: MetadataStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    graph = {"steps": [{"name": "load", "upstream": [], "outputs": ["output"]}]}
    run = make_run(started=datetime(2025, 3, 1, 14, 0, 0, 5, tzinfo=plus_two), graph=graph)
    metadata_store.create_run(run)
    ended = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    metadata_store.finish_run(run.id, "completed", ended)

    got = metadata_store.get_run(run.id)

    assert got == PipelineRunRecord(
        id=run.id,
        name=run.name,
        pipeline_name="training",
        status="completed",
        started_at=datetime(2025, 3, 1, 12, 0, 0, 5, tzinfo=UTC),
        ended_at=ended,
        parameters={"epochs": 2},
        graph=graph,
    )
    assert [r.graph for r in metadata_store.list_runs()] == [graph]
    assert [r.graph for r in metadata_store.find_runs(run.name)] == [graph]
    assert got.started_at.tzinfo == UTC and got.ended_at is not None
    assert got.ended_at.tzinfo == UTC
    assert metadata_store.get_run(uuid.uuid4().hex) is None


def test_finish_run_of_unknown_run_raises(metadata_store: MetadataStore) -> None:
    with pytest.raises(RunNotFoundError, match="No run matches"):
        metadata_store.finish_run("0" * 32, "completed", T0)


def test_duplicate_run_name_raises_store_error(metadata_store: MetadataStore) -> None:
    started(metadata_store, name="same-name")
    with pytest.raises(MetadataStoreError, match="same-name"):
        started(metadata_store, name="same-name")


def test_list_runs_newest_first_with_filters_pages_and_counts(
    metadata_store: MetadataStore,
) -> None:
    runs = [
        started(metadata_store, pipeline="a" if i % 2 == 0 else "b", started=T0 + timedelta(i))
        for i in range(5)
    ]
    metadata_store.finish_run(runs[4].id, "completed", T0 + timedelta(days=5))
    producer = executed(runs[4], "load", 0, cache=key("load"))
    cached_step = make_step(
        runs[4],
        "train",
        1,
        status="cached",
        cached_from=producer.step_run.id,
        outputs=producer.step_run.outputs,
    )
    metadata_store.record_step_runs([producer, StepRunWrite(cached_step)])

    every = metadata_store.list_runs()
    assert [r.id for r in every] == [r.id for r in reversed(runs)]
    assert (every[0].step_count, every[0].cached_count) == (2, 1)
    assert all((r.step_count, r.cached_count) == (0, 0) for r in every[1:])
    assert [r.id for r in metadata_store.list_runs("a")] == [runs[4].id, runs[2].id, runs[0].id]
    assert [r.id for r in metadata_store.list_runs(status="completed")] == [runs[4].id]
    assert [r.id for r in metadata_store.list_runs("b", status="completed")] == []
    assert [r.id for r in metadata_store.list_runs(limit=2, offset=1)] == [
        runs[3].id,
        runs[2].id,
    ]
    assert metadata_store.count_runs() == 5
    assert metadata_store.count_runs("a") == 3
    assert metadata_store.count_runs("a", status="running") == 2
    assert metadata_store.count_runs("missing") == 0
    assert metadata_store.run_names(limit=2) == [runs[4].name, runs[3].name]


def test_names_are_case_and_accent_sensitive(metadata_store: MetadataStore) -> None:
    # MySQL compares text case-insensitively unless told otherwise (revision 0002 does).
    upper = started(metadata_store, name="Nightly", pipeline="Train")
    lower = started(metadata_store, name="nightly", pipeline="train", started=T0 + timedelta(1))
    accent = started(metadata_store, name="nïghtly", pipeline="träin", started=T0 + timedelta(2))

    assert [r.pipeline_name for r in metadata_store.list_runs()] == ["träin", "train", "Train"]
    assert [r.id for r in metadata_store.list_runs("Train")] == [upper.id]
    assert metadata_store.count_runs("train") == 1
    assert [r.id for r in metadata_store.find_runs("nightly")] == [lower.id]
    assert [r.id for r in metadata_store.find_runs("nïghtly")] == [accent.id]


def test_find_runs_by_id_prefix_and_name(metadata_store: MetadataStore) -> None:
    first = started(metadata_store, name="nightly")
    second = started(metadata_store, started=T0 + timedelta(hours=1))

    assert [r.id for r in metadata_store.find_runs(first.id)] == [first.id]
    assert [r.id for r in metadata_store.find_runs(second.id[:6])] == [second.id]
    assert [r.id for r in metadata_store.find_runs("nightly")] == [first.id]
    assert metadata_store.find_runs("night") == []  # names match exactly, not by prefix
    assert metadata_store.find_runs("%") == []  # LIKE wildcards are escaped
    assert metadata_store.find_runs("_") == []
    assert [r.id for r in metadata_store.find_runs("", limit=1)] == [second.id]


# -- step runs, artifacts, lineage, logs ----------------------------------------------------


def test_step_runs_round_trip_with_lineage_and_logs(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    load = executed(run, "load", 0, cache=key("load"))
    big = make_artifact(None, size=5 * 2**31, label="external")  # BigInteger, external input
    train_id = uuid.uuid4().hex
    model = make_artifact(train_id, label="model")
    train = make_step(
        run,
        "train",
        1,
        step_id=train_id,
        inputs={"X": load.step_run.outputs["output"], "extra": big},
        outputs={"model": model},
    )
    failed = make_step(run, "evaluate", 2, status="failed", inputs={"model": model})
    failed = StepRunRecord(**{**_fields(failed), "error": "ValueError: boom", "duration": None})

    metadata_store.record_step_runs([load])
    metadata_store.record_step_runs(
        [StepRunWrite(train, (big, model), logs="epoch 1\n"), StepRunWrite(failed)]
    )

    assert metadata_store.get_step_runs(run.id) == [load.step_run, train, failed]
    assert metadata_store.get_step_run(train.id) == train
    assert metadata_store.get_step_run(uuid.uuid4().hex) is None
    assert metadata_store.get_logs(load.step_run.id) == "log of load\n"
    assert metadata_store.get_logs(failed.id) is None
    got = metadata_store.get_step_run(train.id)
    assert got is not None and got.inputs["extra"].size == 5 * 2**31
    assert got.outputs["model"].created_at.tzinfo == UTC
    assert metadata_store.get_step_runs(uuid.uuid4().hex) == []


def _fields(record: StepRunRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


def test_cached_step_run_links_the_producers_artifacts(metadata_store: MetadataStore) -> None:
    first = started(metadata_store)
    producer = executed(first, "load", 0, cache=key("load"))
    metadata_store.record_step_runs([producer])
    second = started(metadata_store, started=T0 + timedelta(hours=1))
    hit = metadata_store.lookup_cache([key("load")])[key("load")]
    cached = make_step(
        second,
        "load",
        0,
        status="cached",
        cached_from=hit.step_run_id,
        outputs=hit.outputs,
        cache_key=key("load"),
    )
    # Re-sending the producer's artifact as "new" must be a no-op, not a duplicate-key error.
    metadata_store.record_step_runs(
        [StepRunWrite(cached, tuple(hit.outputs.values()), cache_entry=True)]
    )

    [got] = metadata_store.get_step_runs(second.id)
    assert got.status == "cached" and got.cached_from == producer.step_run.id
    assert got.outputs == producer.step_run.outputs
    assert metadata_store.get_logs(got.id) is None
    # The entry still names the step run that really executed.
    assert metadata_store.lookup_cache([key("load")])[key("load")].step_run_id == hit.step_run_id


def test_batch_is_one_transaction(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    good = executed(run, "load", 0, cache=key("good"))
    dangling = make_step(run, "train", 1, inputs={"X": make_artifact(None, label="never-saved")})

    with pytest.raises(MetadataStoreError, match="could not record 2 step run"):
        metadata_store.record_step_runs([good, StepRunWrite(dangling)])

    assert metadata_store.get_step_runs(run.id) == []
    assert metadata_store.lookup_cache([key("good")]) == {}
    metadata_store.record_step_runs([good])  # the store is usable after the failure
    assert [s.id for s in metadata_store.get_step_runs(run.id)] == [good.step_run.id]


def test_step_run_of_unknown_run_is_refused(metadata_store: MetadataStore) -> None:
    ghost = make_run()  # never created
    with pytest.raises(MetadataStoreError):
        metadata_store.record_step_runs([executed(ghost, "load", 0)])


# -- the cache --------------------------------------------------------------------------------


def test_cache_entry_insert_if_absent_first_wins(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    first = executed(run, "load", 0, cache=key("same"))
    second = executed(run, "load_2", 1, cache=key("same"))
    metadata_store.record_step_runs([first])
    metadata_store.record_step_runs([second])  # same key: ignored, no error

    hit = metadata_store.lookup_cache([key("same")])[key("same")]
    assert hit == CacheHit(
        cache_key=key("same"),
        step_run_id=first.step_run.id,
        run_id=run.id,
        run_name=run.name,
        created_at=hit.created_at,
        duration=0.5,
        outputs=first.step_run.outputs,
    )
    assert hit.created_at.tzinfo == UTC
    assert abs(datetime.now(UTC) - hit.created_at) < timedelta(minutes=5)
    # Both step runs were recorded even though only one entry exists.
    assert len(metadata_store.get_step_runs(run.id)) == 2


def test_same_key_twice_in_one_batch_keeps_the_first(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    first = executed(run, "a", 0, cache=key("dup"))
    second = executed(run, "b", 1, cache=key("dup"))
    metadata_store.record_step_runs([first, second])
    assert metadata_store.lookup_cache([key("dup")])[key("dup")].step_run_id == first.step_run.id


def test_lookup_of_many_keys_is_one_query(
    metadata_store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = started(metadata_store)
    writes = [executed(run, f"s_{i}", i, cache=key(f"k{i}")) for i in range(3)]
    two_outputs = make_step(
        run,
        "split",
        3,
        cache_key=key("split"),
        outputs={"train": make_artifact(None, label="t"), "test": make_artifact(None, label="v")},
    )
    writes.append(StepRunWrite(two_outputs, tuple(two_outputs.outputs.values()), cache_entry=True))
    metadata_store.record_step_runs(writes)
    hot = metadata_store._hot  # type: ignore[attr-defined]
    calls: list[str] = []
    original = hot.query

    def counting(action: str, statement: str, params: object) -> object:
        calls.append(statement)
        return original(action, statement, params)

    monkeypatch.setattr(hot, "query", counting)
    wanted = [key("k0"), key("k1"), key("missing"), key("k2"), key("split"), key("k0")]

    hits = metadata_store.lookup_cache(wanted)

    assert len(calls) == 1
    assert set(hits) == {key("k0"), key("k1"), key("k2"), key("split")}
    for i in range(3):
        assert hits[key(f"k{i}")].step_run_id == writes[i].step_run.id
        assert hits[key(f"k{i}")].outputs == writes[i].step_run.outputs
    assert hits[key("split")].outputs == two_outputs.outputs
    assert metadata_store.lookup_cache([]) == {}


def test_lookup_of_more_keys_than_one_statement_holds(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    writes = [executed(run, f"s_{i}", i, cache=key(f"many{i}")) for i in range(1200)]
    metadata_store.record_step_runs(writes)
    hits = metadata_store.lookup_cache([key(f"many{i}") for i in range(1200)])
    assert len(hits) == 1200


def test_delete_cache_entries(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    metadata_store.record_step_runs(
        [executed(run, f"s_{i}", i, cache=key(f"d{i}")) for i in range(3)]
    )

    assert metadata_store.delete_cache_entries([key("d0"), key("d1"), key("nope")]) == 2
    assert set(metadata_store.lookup_cache([key("d0"), key("d1"), key("d2")])) == {key("d2")}
    assert metadata_store.delete_cache_entries([key("d0")]) == 0
    assert metadata_store.delete_cache_entries([]) == 0
    # History stays: deleting an entry never deletes the step runs it named.
    assert len(metadata_store.get_step_runs(run.id)) == 3


def test_threads_share_one_store(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(20):
                write = executed(run, f"w{worker}_{i}", worker * 100 + i, cache=key(f"t{i}"))
                metadata_store.record_step_runs([write])
                assert key(f"t{i}") in metadata_store.lookup_cache([key(f"t{i}")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(metadata_store.get_step_runs(run.id)) == 80
    assert len(metadata_store.lookup_cache([key(f"t{i}") for i in range(20)])) == 20


# -- explain's previous run, artifacts, lineage ------------------------------------------------


def test_previous_step_run_is_the_latest_earlier_one_of_the_pipeline(
    metadata_store: MetadataStore,
) -> None:
    runs = [started(metadata_store, started=T0 + timedelta(hours=h)) for h in range(3)]
    other = started(metadata_store, pipeline="other", started=T0 + timedelta(minutes=90))
    writes = {run.id: executed(run, "train", 1) for run in [*runs, other]}
    metadata_store.record_step_runs(list(writes.values()))
    metadata_store.record_step_runs([executed(runs[1], "load", 0)])
    latest = runs[2]

    got = metadata_store.previous_step_run(
        "training", "train", latest.started_at, exclude_run_id=latest.id
    )
    assert got == writes[runs[1].id].step_run  # inputs and outputs filled, the other pipeline
    assert got is not None and got.outputs  # and later runs ignored
    # "before" is strict: the run started exactly then is not earlier.
    earlier = metadata_store.previous_step_run("training", "train", runs[1].started_at)
    assert earlier is not None and earlier.id == writes[runs[0].id].step_run.id
    skipped = metadata_store.previous_step_run(
        "training", "train", T0 + timedelta(days=1), exclude_run_id=latest.id
    )
    assert skipped is not None and skipped.run_id == runs[1].id
    assert metadata_store.previous_step_run("training", "train", T0) is None
    assert metadata_store.previous_step_run("training", "missing", latest.started_at) is None
    assert metadata_store.previous_step_run("nope", "train", latest.started_at) is None


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
        step_name="train",
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


# -- deleting runs, managing the cache ---------------------------------------------------------


def _shared_history(store: MetadataStore) -> tuple[PipelineRunRecord, ...]:
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


def test_delete_run_keeps_artifacts_other_runs_use(metadata_store: MetadataStore) -> None:
    first, second = _shared_history(metadata_store)
    [load, train] = metadata_store.get_step_runs(first.id)
    data, model = load.outputs["output"], train.outputs["model"]
    external = train.inputs["lr_table"]
    assert metadata_store.get_logs(train.id) is not None

    deleted = metadata_store.delete_run(first.id)

    # load's output is still linked by run 2's cached step; the model and the external value
    # were used by run 1 alone.
    assert deleted == DeletedRun(run_id=first.id, step_runs=2, cache_entries=2, artifacts=2)
    assert metadata_store.get_run(first.id) is None
    assert metadata_store.get_step_runs(first.id) == []
    assert metadata_store.get_step_run(train.id) is None
    assert metadata_store.get_logs(train.id) is None
    assert set(metadata_store.lookup_cache([key("load"), key("train-1"), key("train-2")])) == {
        key("train-2")
    }
    assert metadata_store.get_artifact(data.id) == data
    assert metadata_store.get_artifact(model.id) is None
    assert metadata_store.get_artifact(external.id) is None
    assert [link.run_id for link in metadata_store.artifact_links(data.id)] == [second.id]
    assert key("model-1") not in metadata_store.referenced_content_hashes()
    # The other run is untouched, and still reads its cached step's outputs.
    assert [r.id for r in metadata_store.list_runs()] == [second.id]
    assert metadata_store.get_step_runs(second.id)[0].outputs == {"output": data}

    assert metadata_store.delete_run(second.id) == DeletedRun(second.id, 2, 1, 2)
    assert metadata_store.referenced_content_hashes() == set()
    assert metadata_store.list_artifacts() == []
    assert metadata_store.count_runs() == 0


def test_delete_step_run_removes_one_step_and_what_only_it_used(
    metadata_store: MetadataStore,
) -> None:
    first, _ = _shared_history(metadata_store)
    [load, train] = metadata_store.get_step_runs(first.id)

    metadata_store.delete_step_run(train.id)

    assert [s.name for s in metadata_store.get_step_runs(first.id)] == ["load"]
    assert metadata_store.get_step_run(train.id) is None
    assert metadata_store.get_logs(train.id) is None
    assert key("train-1") not in metadata_store.lookup_cache([key("train-1")])
    assert metadata_store.get_artifact(train.outputs["model"].id) is None
    # load's output, which train consumed, is still the load step's (and run 2's) artifact.
    assert metadata_store.get_artifact(load.outputs["output"].id) == load.outputs["output"]
    assert metadata_store.get_run(first.id) is not None


def test_delete_run_of_unknown_run_raises(metadata_store: MetadataStore) -> None:
    started(metadata_store)
    with pytest.raises(RunNotFoundError, match="No run matches"):
        metadata_store.delete_run(uuid.uuid4().hex)
    assert metadata_store.count_runs() == 1


def test_deleting_the_producers_run_keeps_the_cache_consistent(
    metadata_store: MetadataStore,
) -> None:
    first, second = _shared_history(metadata_store)
    metadata_store.delete_run(second.id)
    # Run 1 produced everything run 2 reused: nothing of run 1 is lost.
    assert [s.name for s in metadata_store.get_step_runs(first.id)] == ["load", "train"]
    assert set(metadata_store.lookup_cache([key("load"), key("train-1"), key("train-2")])) == {
        key("load"),
        key("train-1"),
    }
    # The key is free again: a new run may record an entry for it.
    third = started(metadata_store, started=T0 + timedelta(hours=2))
    again = executed(third, "train", 1, cache=key("train-2"))
    metadata_store.record_step_runs([again])
    hit = metadata_store.lookup_cache([key("train-2")])[key("train-2")]
    assert hit.step_run_id == again.step_run.id


def test_list_cache_entries_newest_first_with_filters(metadata_store: MetadataStore) -> None:
    first, second = _shared_history(metadata_store)
    other = started(metadata_store, pipeline="other", started=T0 + timedelta(hours=2))
    split_id = uuid.uuid4().hex
    outputs = {"a": make_artifact(split_id, size=100), "b": make_artifact(split_id, size=250)}
    table = make_artifact(None, size=10**6)  # an input: not part of the entry's output bytes
    split = make_step(other, "split", 0, step_id=split_id, cache_key=key("split"), outputs=outputs)
    split = replace(split, inputs={"table": table})
    metadata_store.record_step_runs(
        [StepRunWrite(split, (table, *outputs.values()), cache_entry=True)]
    )

    entries = metadata_store.list_cache_entries()

    assert [e.cache_key for e in entries] == [
        key("split"),
        key("train-2"),
        key("train-1"),
        key("load"),
    ]
    assert entries[0] == CacheEntryRecord(
        cache_key=key("split"),
        step_run_id=split_id,
        run_id=other.id,
        run_name=other.name,
        pipeline_name="other",
        step_name="split",
        created_at=entries[0].created_at,
        duration=0.5,
        output_bytes=350,
    )
    assert entries[0].created_at.tzinfo == UTC
    assert entries[0].created_at >= entries[1].created_at >= entries[3].created_at
    assert (entries[3].run_id, entries[3].output_bytes) == (first.id, 1024)
    assert [e.cache_key for e in metadata_store.list_cache_entries(step_name="train")] == [
        key("train-2"),
        key("train-1"),
    ]
    assert [e.run_id for e in metadata_store.list_cache_entries(pipeline_name="training")] == [
        second.id,
        first.id,
        first.id,
    ]
    assert metadata_store.list_cache_entries(step_name="split", pipeline_name="training") == []
    paged = metadata_store.list_cache_entries(limit=2, offset=1)
    assert [e.cache_key for e in paged] == [key("train-2"), key("train-1")]


def test_clear_cache_entries_by_step_pipeline_and_age(metadata_store: MetadataStore) -> None:
    _shared_history(metadata_store)
    cutoff = datetime.now(UTC)
    other = started(metadata_store, pipeline="other", started=T0 + timedelta(hours=2))
    metadata_store.record_step_runs([executed(other, "train", 0, cache=key("other-train"))])
    metadata_store.record_step_runs([executed(other, "load", 1, cache=key("other-load"))])
    everything = [
        key("load"),
        key("train-1"),
        key("train-2"),
        key("other-train"),
        key("other-load"),
    ]

    assert metadata_store.clear_cache_entries(step_name="train", pipeline_name="training") == 2
    assert set(metadata_store.lookup_cache(everything)) == {
        key("load"),
        key("other-train"),
        key("other-load"),
    }
    assert metadata_store.clear_cache_entries(older_than=cutoff) == 1
    assert set(metadata_store.lookup_cache(everything)) == {key("other-train"), key("other-load")}
    assert metadata_store.clear_cache_entries(step_name="nope") == 0
    assert metadata_store.clear_cache_entries(pipeline_name="other", step_name="load") == 1
    assert metadata_store.clear_cache_entries() == 1
    assert metadata_store.lookup_cache(everything) == {}
    # Clearing the cache never deletes history.
    assert metadata_store.count_runs() == 3
    assert len(metadata_store.list_artifacts()) == 6


# -- opening, the schema, errors ---------------------------------------------------------------


def _execute(url: str, statement: str) -> list[tuple[object, ...]]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.exec_driver_sql(statement)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_schema_revision_is_the_single_alembic_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import stepstone.metadata
    from stepstone.metadata.sql import SCHEMA_REVISION

    config = Config()
    migrations = Path(stepstone.metadata.__file__).parent / "migrations"
    config.set_main_option("script_location", str(migrations))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_REVISION]


def test_migrations_create_exactly_the_tables_the_code_uses(metadata_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from stepstone.metadata.sql.tables import metadata

    open_metadata_store(metadata_url).close()
    engine = create_engine(metadata_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_reopening_keeps_data_and_does_not_migrate_again(
    metadata_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stepstone.metadata.sql import schema

    with open_metadata_store(metadata_url) as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("kept"))])

    def refuse(*args: object) -> None:
        raise AssertionError("the schema was migrated again on reopening")

    monkeypatch.setattr(schema, "_upgrade_under_lock", refuse)
    with open_metadata_store(metadata_url) as store:
        assert store.get_run(run.id) is not None
        assert key("kept") in store.lookup_cache([key("kept")])
    assert _execute(metadata_url, "SELECT version_num FROM alembic_version") == [
        (schema.SCHEMA_REVISION,)
    ]


def test_a_database_with_a_newer_schema_is_refused(metadata_url: str) -> None:
    open_metadata_store(metadata_url).close()
    _execute(metadata_url, "UPDATE alembic_version SET version_num = '9999_future'")

    with pytest.raises(MetadataStoreError, match=r"9999_future, newer .* upgrade stepstone"):
        open_metadata_store(metadata_url)


def test_unreachable_server_raises_with_the_password_masked() -> None:
    url = "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/test"
    with pytest.raises(MetadataStoreError, match=r"postgres:\*\*\*@127\.0\.0\.1:1/test") as info:
        open_metadata_store(url)
    assert "s3cret-pw" not in str(info.value)


def test_malformed_url_and_unusable_folder_raise_store_errors(tmp_path: Path) -> None:
    with pytest.raises(MetadataStoreError, match="is not a database URL"):
        open_metadata_store("not a url")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(MetadataStoreError, match="cannot create the folder"):
        open_metadata_store(f"sqlite:///{tmp_path / 'a-file' / 'sub' / 'metadata.db'}")


def test_sqlite_is_set_up_for_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "metadata.db"  # parents are created
    with open_metadata_store(f"sqlite:///{path}") as store:
        with store._engine.connect() as connection:  # type: ignore[attr-defined]
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() >= 10_000
    # Reopened, the up-to-date file is served by sqlite3 directly, configured the same way.
    with open_metadata_store(f"sqlite:///{path}") as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("direct"))])
        hot = store._hot  # type: ignore[attr-defined]
        assert type(hot._connector).__name__ == "SqliteConnector"
        settings = [
            hot.query("read a pragma", f"PRAGMA {name}", [])[0][0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        ]
        assert settings[:3] == ["wal", 1, 1] and settings[3] >= 10_000
        assert key("direct") in store.lookup_cache([key("direct")])


def test_in_memory_sqlite_store_works() -> None:
    with open_metadata_store("sqlite://") as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("mem"))])
        assert [r.step_count for r in store.list_runs()] == [1]
        assert key("mem") in store.lookup_cache([key("mem")])
        # Core writes share the one connection with the hot path, and commit.
        assert store.delete_run(run.id).cache_entries == 1
        assert store.lookup_cache([key("mem")]) == {}
        store.record_step_runs([executed(started(store), "load", 0, cache=key("mem"))])
        assert store.clear_cache_entries() == 1


OPEN_AND_LIST = """
import sys
from stepstone.metadata import open_metadata_store
with open_metadata_store(sys.argv[1]) as store:
    runs, total = store.list_runs(limit=20), store.count_runs()
    store.record_step_runs([])
    assert store.lookup_cache(["0" * 64]) == {}
print(len(runs), total, sorted({"alembic", "sqlalchemy"} & set(sys.modules)))
"""


def test_reopening_an_up_to_date_store_does_not_import_alembic(metadata_url: str) -> None:
    with open_metadata_store(metadata_url) as store:
        started(store)

    result = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LIST, metadata_url], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    # An existing SQLite file is opened with sqlite3 alone; servers need SQLAlchemy's drivers.
    imported = "[]" if metadata_url.startswith("sqlite") else "['sqlalchemy']"
    assert result.stdout.strip().split(maxsplit=2) == ["1", "1", imported]


def test_a_database_at_revision_0001_is_upgraded_with_its_data(metadata_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from stepstone.metadata.sql.schema import script_config

    if metadata_url.startswith("sqlite:///"):
        Path(metadata_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(metadata_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.upgrade(script_config(connection), "0001")
            connection.exec_driver_sql(
                "INSERT INTO pipelines (name, created_at) VALUES ('Train', '2025-01-01 00:00:00')"
            )
            connection.exec_driver_sql(
                "INSERT INTO pipeline_runs (id, name, pipeline_id, status, started_at, parameters)"
                f" SELECT '{'a' * 32}', 'old', id, 'completed', '2025-01-01 00:00:00', '{{}}'"
                " FROM pipelines"
            )
    finally:
        engine.dispose()

    with open_metadata_store(metadata_url) as store:
        [old] = store.list_runs()
        assert (old.id, old.name, old.pipeline_name) == ("a" * 32, "old", "Train")
        run = started(store, pipeline="train")  # another pipeline than "Train"
        store.record_step_runs([executed(run, "load", 0, cache=key("new"))])
        assert store.count_runs("train") == store.count_runs("Train") == 1
        with pytest.raises(MetadataStoreError):  # the foreign keys are back
            store.record_step_runs([executed(make_run(), "load", 0)])
    assert _execute(metadata_url, "SELECT version_num FROM alembic_version") == [("0002",)]


def test_importing_the_package_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, stepstone.metadata; "
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported eagerly'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 1, 12, 0, tzinfo=UTC),  # microsecond 0: still six digits
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_fast_sqlite_timestamps_equal_sqlalchemys(moment: datetime) -> None:
    """The hot path writes timestamps itself; Core must read (and order) them identically."""
    from sqlalchemy.dialects import sqlite

    from stepstone.metadata.sql.tables import UtcDateTime, sqlite_datetime_in, sqlite_datetime_out

    dialect = sqlite.dialect()
    utc = UtcDateTime().dialect_impl(dialect)
    stored = utc.bind_processor(dialect)(moment)  # type: ignore[misc]
    assert sqlite_datetime_in(moment) == stored
    assert sqlite_datetime_out(stored) == utc.result_processor(dialect, None)(stored)  # type: ignore[misc]
    assert sqlite_datetime_out(stored) == moment
    assert sqlite_datetime_out(stored).tzinfo == UTC  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_datetime_in(moment.replace(tzinfo=None))


@pytest.mark.postgres
def test_store_recovers_after_the_server_drops_its_connection(postgres_url: str) -> None:
    with open_metadata_store(postgres_url) as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("survive"))])
        backend = store._hot._connection.info.backend_pid  # type: ignore[attr-defined]
        assert _execute(postgres_url, f"SELECT pg_terminate_backend({int(backend)})") == [(True,)]
        with pytest.raises(MetadataStoreError, match="could not"):
            store.lookup_cache([key("survive")])
        # The broken connection was dropped: the next call reconnects instead of failing forever.
        assert key("survive") in store.lookup_cache([key("survive")])
        store.record_step_runs([executed(run, "train", 1)])
        assert len(store.get_step_runs(run.id)) == 2


@pytest.mark.mysql
def test_mysql_store_recovers_after_the_server_drops_its_connection(mysql_url: str) -> None:
    with open_metadata_store(mysql_url) as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("survive"))])
        thread = store._hot._connection.thread_id()  # type: ignore[attr-defined]
        _execute(mysql_url, f"KILL {int(thread)}")
        with pytest.raises(MetadataStoreError, match="could not"):
            store.lookup_cache([key("survive")])
        assert key("survive") in store.lookup_cache([key("survive")])
        store.record_step_runs([executed(run, "train", 1)])
        assert len(store.get_step_runs(run.id)) == 2
