"""The metadata store contract, management: deleting runs and step runs keeps what other runs
use. Public interface only, on every backend.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.metadata_factories import (
    T0,
    executed,
    key,
    shared_history,
    started,
)
from stepstone.exceptions import RunNotFoundError
from stepstone.metadata import (
    DeletedRun,
    MetadataStore,
)


def test_delete_run_keeps_artifacts_other_runs_use(metadata_store: MetadataStore) -> None:
    first, second = shared_history(metadata_store)
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
    first, _ = shared_history(metadata_store)
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
    first, second = shared_history(metadata_store)
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
