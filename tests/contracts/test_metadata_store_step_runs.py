"""The metadata store contract, step runs: batched writes, lineage edges, logs, threads,
explain's previous run. Public interface only, on every backend.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, timedelta

import pytest

from contracts.metadata_factories import (
    T0,
    executed,
    key,
    make_artifact,
    make_run,
    make_step,
    started,
)
from stepstone.exceptions import MetadataStoreError
from stepstone.metadata import (
    MetadataStore,
    StepRunRecord,
    StepRunWrite,
)


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


def test_previous_step_runs_are_the_latest_earlier_ones_of_the_pipeline(
    metadata_store: MetadataStore,
) -> None:
    runs = [started(metadata_store, started=T0 + timedelta(hours=h)) for h in range(3)]
    other = started(metadata_store, pipeline="other", started=T0 + timedelta(minutes=90))
    writes = {run.id: executed(run, "train", 1) for run in [*runs, other]}
    metadata_store.record_step_runs(list(writes.values()))
    metadata_store.record_step_runs([executed(runs[1], "load", 0)])
    latest = runs[2]

    (got,) = metadata_store.previous_step_runs(
        "training", "train", latest.started_at, exclude_run_id=latest.id
    )
    assert got == writes[runs[1].id].step_run  # inputs and outputs filled, the other pipeline
    assert got.outputs  # and later runs ignored
    both = metadata_store.previous_step_runs("training", "train", latest.started_at, limit=5)
    assert [r.run_id for r in both] == [runs[1].id, runs[0].id]  # newest first
    assert all(r.outputs for r in both)
    # "before" is strict: the run started exactly then is not earlier.
    (earlier,) = metadata_store.previous_step_runs("training", "train", runs[1].started_at)
    assert earlier.id == writes[runs[0].id].step_run.id
    (skipped,) = metadata_store.previous_step_runs(
        "training", "train", T0 + timedelta(days=1), exclude_run_id=latest.id
    )
    assert skipped.run_id == runs[1].id
    assert metadata_store.previous_step_runs("training", "train", T0) == []
    assert metadata_store.previous_step_runs("training", "missing", latest.started_at) == []
    assert metadata_store.previous_step_runs("nope", "train", latest.started_at) == []
