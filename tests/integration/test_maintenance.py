"""Housekeeping on real stores: deleting runs, clearing the cache, collecting garbage.

Real pipelines on the per-test SQLite file and local artifact store; assertions are on what
is recorded and what is on disk, never on timing.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stepstone import Client, pipeline, step
from stepstone.maintenance import (
    IN_PROGRESS_WINDOW,
    MaintenanceError,
    clear_cache,
    collect_garbage,
    delete_run,
    parse_duration,
    prune_cache,
    runs_in_progress,
)
from stepstone.metadata.records import PipelineRunRecord
from stepstone.stores import Stores, get_stores


@step
def make_rows(count: int = 3) -> list[int]:
    return list(range(count))


@step
def summarize(rows: list[int], scale: int = 1) -> int:
    return sum(rows) * scale


@pipeline
def housekeeping(count: int = 3, scale: int = 1) -> None:
    summarize(make_rows(count=count), scale=scale)


@pytest.fixture
def stores() -> Stores:
    return get_stores()


def _files_exist(uri: str) -> bool:
    return Path(uri).is_dir()


def _running(stores: Stores, started: datetime, name: str = "live") -> PipelineRunRecord:
    record = PipelineRunRecord(uuid.uuid4().hex, name, "housekeeping", "running", started, None)
    stores.metadata.create_run(record)
    return record


def test_delete_run_frees_only_what_no_other_run_uses(stores: Stores) -> None:
    first = housekeeping(scale=1)
    second = housekeeping(scale=2)  # make_rows reused from first
    shared = first.steps["make_rows"].output
    own = second.steps["summarize"].output

    deletion = delete_run(stores, second.record)
    assert (deletion.step_runs, deletion.files_deleted) == (2, 1)
    assert deletion.bytes_freed == own.size
    assert deletion.cache_entries == 1  # summarize's entry; make_rows' belongs to first
    assert not _files_exist(own.uri)
    assert _files_exist(shared.uri)

    deletion = delete_run(stores, first.record)
    assert deletion.files_deleted == 2  # nothing references make_rows' output any more
    assert not _files_exist(shared.uri)
    assert Client().count_runs() == 0
    assert collect_garbage(stores).artifacts == 0


def test_delete_run_postpones_file_deletion_while_runs_are_in_progress(stores: Stores) -> None:
    run = housekeeping()
    _running(stores, datetime.now(UTC))
    deletion = delete_run(stores, run.record)
    assert deletion.files_deleted == 0
    assert deletion.files_postponed == 2
    assert all(_files_exist(step.output.uri) for step in run.steps.values())
    report = collect_garbage(stores, force=True)
    assert report.artifacts == 2
    assert not any(_files_exist(step.output.uri) for step in run.steps.values())


def test_identical_outputs_share_files_across_pipelines(stores: Stores) -> None:
    ours = housekeeping(count=4)
    theirs = housekeeping.with_options(name="other_team", enable_cache=False)(count=4)
    assert (
        ours.steps["make_rows"].output.content_hash == theirs.steps["make_rows"].output.content_hash
    )
    delete_run(stores, ours.record)
    assert _files_exist(theirs.steps["make_rows"].output.uri)
    assert theirs.steps["make_rows"].output.load() == [0, 1, 2, 3]


def test_collect_garbage_sweeps_unreferenced_artifacts_and_stale_staging(stores: Stores) -> None:
    run = housekeeping()
    orphan = stores.artifacts.save(list(range(50)))
    staging = Path(stores.artifacts.staging_dir)
    staging.mkdir(parents=True, exist_ok=True)
    stale = staging / "crashed-writer"
    stale.mkdir()
    (stale / "data").write_bytes(b"partial")
    old = time.time() - 2 * 86400
    os.utime(stale / "data", (old, old))
    os.utime(stale, (old, old))

    dry = collect_garbage(stores, dry_run=True)
    assert dry.content_hashes == (orphan.content_hash,)
    assert dry.bytes == orphan.size
    assert dry.staging_removed is None
    assert _files_exist(orphan.uri)

    report = collect_garbage(stores)
    assert report.content_hashes == (orphan.content_hash,)
    assert report.staging_removed == 1
    assert not _files_exist(orphan.uri)
    assert not stale.exists()
    assert all(_files_exist(step.output.uri) for step in run.steps.values())


def test_collect_garbage_waits_for_recent_runs_only(stores: Stores) -> None:
    stores.artifacts.save("orphan")
    crashed = _running(stores, datetime.now(UTC) - IN_PROGRESS_WINDOW - timedelta(hours=1))
    assert runs_in_progress(stores) == []  # too old to be alive
    live = _running(stores, datetime.now(UTC), name="live-run")
    assert [run.id for run in runs_in_progress(stores)] == [live.id]
    with pytest.raises(MaintenanceError, match=r"1 run\(s\) in progress \(live-run\).*--force"):
        collect_garbage(stores)
    assert collect_garbage(stores, dry_run=True).in_progress == ("live-run",)
    assert collect_garbage(stores, force=True).artifacts == 1
    assert crashed.id not in {run.id for run in runs_in_progress(stores)}


def test_delete_refuses_a_live_run(stores: Stores) -> None:
    live = _running(stores, datetime.now(UTC), name="still-going")
    with pytest.raises(MaintenanceError, match="Run still-going is still running"):
        delete_run(stores, live)
    assert delete_run(stores, live, force=True).run_id == live.id


def test_clear_and_prune_cache(stores: Stores) -> None:
    housekeeping(scale=1)
    housekeeping(scale=2)
    assert clear_cache(stores, invocation_name="summarize") == 2
    rerun = housekeeping(scale=1)
    assert rerun.steps["summarize"].status == "completed"
    assert rerun.steps["make_rows"].status == "cached"
    with pytest.raises(MaintenanceError, match="No cache entries for step 'summarise'"):
        clear_cache(stores, invocation_name="summarise")
    assert prune_cache(stores, timedelta(days=30)) == 0
    later = datetime.now(UTC) + timedelta(days=31)
    assert prune_cache(stores, timedelta(days=30), now=later) == 2
    assert clear_cache(stores) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1.5h", timedelta(minutes=90)),
        ("3 days", timedelta(days=3)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "-1d", "30x", "1d 2x", "a month"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)
