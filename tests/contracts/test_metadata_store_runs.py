"""The metadata store contract, runs: create, finish, list, count, find.

Every test runs against a fresh SQLite file, PostgreSQL schema and MySQL database
(see ``metadata_url`` in ``tests/conftest.py``) through the public interface only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from contracts.metadata_factories import (
    T0,
    executed,
    key,
    make_run,
    make_step,
    started,
)
from stepstone.exceptions import MetadataStoreError, RunNotFoundError
from stepstone.metadata import (
    MetadataStore,
    PipelineRunRecord,
    StepRunWrite,
)


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
