"""The metadata store contract, the cache: entries written with step runs, looked up, listed,
filtered and cleared. Public interface only, on every backend.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contracts.metadata_factories import (
    T0,
    executed,
    key,
    make_artifact,
    make_step,
    shared_history,
    started,
)
from stepstone.metadata import (
    CacheEntryRecord,
    CacheHit,
    MetadataStore,
    StepRunWrite,
)


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


def test_list_cache_entries_newest_first_with_filters(metadata_store: MetadataStore) -> None:
    first, second = shared_history(metadata_store)
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
        invocation_name="split",
        created_at=entries[0].created_at,
        duration=0.5,
        output_bytes=350,
    )
    assert entries[0].created_at.tzinfo == UTC
    assert entries[0].created_at >= entries[1].created_at >= entries[3].created_at
    assert (entries[3].run_id, entries[3].output_bytes) == (first.id, 1024)
    assert [e.cache_key for e in metadata_store.list_cache_entries(invocation_name="train")] == [
        key("train-2"),
        key("train-1"),
    ]
    assert [e.run_id for e in metadata_store.list_cache_entries(pipeline_name="training")] == [
        second.id,
        first.id,
        first.id,
    ]
    assert (
        metadata_store.list_cache_entries(invocation_name="split", pipeline_name="training") == []
    )
    paged = metadata_store.list_cache_entries(limit=2, offset=1)
    assert [e.cache_key for e in paged] == [key("train-2"), key("train-1")]


def test_clear_cache_entries_by_step_pipeline_and_age(metadata_store: MetadataStore) -> None:
    shared_history(metadata_store)
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

    assert (
        metadata_store.clear_cache_entries(invocation_name="train", pipeline_name="training") == 2
    )
    assert set(metadata_store.lookup_cache(everything)) == {
        key("load"),
        key("other-train"),
        key("other-load"),
    }
    assert metadata_store.clear_cache_entries(older_than=cutoff) == 1
    assert set(metadata_store.lookup_cache(everything)) == {key("other-train"), key("other-load")}
    assert metadata_store.clear_cache_entries(invocation_name="nope") == 0
    assert metadata_store.clear_cache_entries(pipeline_name="other", invocation_name="load") == 1
    assert metadata_store.clear_cache_entries() == 1
    assert metadata_store.lookup_cache(everything) == {}
    # Clearing the cache never deletes history.
    assert metadata_store.count_runs() == 3
    assert len(metadata_store.list_artifacts()) == 6
