"""The metadata store contract, artifact versions, on every backend."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from contracts.metadata_factories import T0, executed, make_artifact, started
from stepstone.exceptions import MetadataStoreError
from stepstone.metadata import MetadataStore, StepRunWrite
from stepstone.metadata.records import (
    ArtifactTag,
    MetadataEntry,
    MetadataResource,
    NewArtifactVersion,
)


def _new(
    artifact_id: str, name: str, version: str | None = None, seconds: int = 0
) -> NewArtifactVersion:
    return NewArtifactVersion(
        artifact_id=artifact_id,
        name=name,
        version=version,
        artifact_type="DataArtifact",
        has_custom_name=True,
        created_at=T0 + timedelta(seconds=seconds),
    )


def _executed_with_version(store: MetadataStore, name: str, version: str | None = None) -> str:
    run = started(store)
    write = executed(run, "load", 0)
    artifact = write.step_run.outputs["output"]
    store.record_step_runs(
        [replace(write, versions=(_new(artifact.id, name, version, seconds=store.count_runs()),))]
    )
    return artifact.id


def test_versions_auto_increment_per_name(metadata_store: MetadataStore) -> None:
    first = _executed_with_version(metadata_store, "iris")
    second = _executed_with_version(metadata_store, "iris")
    other = _executed_with_version(metadata_store, "labels")
    versions = metadata_store.get_artifact_versions([first, second, other])
    assert [versions[first].version, versions[second].version] == ["1", "2"]
    assert versions[other].version == "1"
    latest = metadata_store.get_artifact_version("iris")
    assert latest is not None and latest.artifact_id == second
    assert latest.artifact.id == second and latest.artifact.content_hash
    assert latest.has_custom_name is True and latest.artifact_type == "DataArtifact"
    listed = metadata_store.list_artifact_versions("iris")
    assert [v.version for v in listed] == ["2", "1"]
    assert set(metadata_store.artifact_names()) == {"iris", "labels"}


def test_one_write_numbers_many_names_each_after_its_own_highest(
    metadata_store: MetadataStore,
) -> None:
    _executed_with_version(metadata_store, "a")
    _executed_with_version(metadata_store, "b", "5")
    run = started(metadata_store)
    writes = [executed(run, f"step{i}", i) for i in range(4)]
    names = ["a", "b", "c", "a"]  # "a" twice: its two new versions come one after the other
    versioned = [
        replace(w, versions=(_new(w.step_run.outputs["output"].id, name, seconds=10 + i),))
        for i, (w, name) in enumerate(zip(writes, names, strict=True))
    ]
    metadata_store.record_step_runs(versioned)
    ids = [w.step_run.outputs["output"].id for w in writes]
    versions = metadata_store.get_artifact_versions(ids)
    assert [versions[i].version for i in ids] == ["2", "6", "1", "3"]


def test_a_given_version_is_kept_and_numbers_continue_after_it(
    metadata_store: MetadataStore,
) -> None:
    _executed_with_version(metadata_store, "model", "v1.0")
    _executed_with_version(metadata_store, "model", "7")
    after = _executed_with_version(metadata_store, "model")
    found = metadata_store.get_artifact_version("model", "v1.0")
    assert found is not None and found.number is None
    assert metadata_store.get_artifact_versions([after])[after].version == "8"
    assert metadata_store.get_artifact_version("model", "3") is None
    assert metadata_store.get_artifact_version("nothing") is None


def test_a_given_version_that_exists_is_refused(metadata_store: MetadataStore) -> None:
    _executed_with_version(metadata_store, "model", "v1")
    with pytest.raises(MetadataStoreError, match="artifact_versions"):
        _executed_with_version(metadata_store, "model", "v1")
    assert [v.version for v in metadata_store.list_artifact_versions("model")] == ["v1"]


def test_saved_values_become_versions_with_metadata_and_tags(
    metadata_store: MetadataStore,
) -> None:
    artifacts = [make_artifact(None, label="saved-1"), make_artifact(None, label="saved-2")]
    saved = metadata_store.save_artifact_versions(
        artifacts,
        [_new(a.id, "table") for a in artifacts],
        metadata=[MetadataEntry(MetadataResource.ARTIFACT_VERSION, artifacts[0].id, "rows", 10)],
        tags=[ArtifactTag(artifacts[1].id, "raw")],
    )
    assert [v.version for v in saved] == ["1", "2"]
    assert saved[0].artifact == artifacts[0]
    assert metadata_store.get_tags([artifacts[1].id]) == {artifacts[1].id: ["raw"]}
    found = metadata_store.get_metadata(MetadataResource.ARTIFACT_VERSION, [artifacts[0].id])
    assert found == {artifacts[0].id: {"rows": 10}}


def test_deleting_a_run_deletes_the_versions_of_its_artifacts(
    metadata_store: MetadataStore,
) -> None:
    run = started(metadata_store)
    write = executed(run, "load", 0)
    artifact = write.step_run.outputs["output"]
    metadata_store.record_step_runs([replace(write, versions=(_new(artifact.id, "gone"),))])
    metadata_store.delete_run(run.id)
    assert metadata_store.list_artifact_versions("gone") == []


def test_concurrent_writers_of_one_name_get_distinct_numbers(metadata_url: str) -> None:
    from stepstone.metadata import open_metadata_store

    stores = [open_metadata_store(metadata_url) for _ in range(4)]
    errors: list[BaseException] = []

    def write(store: MetadataStore) -> None:
        try:
            for _ in range(5):
                artifact = make_artifact(None, label="raced")
                store.save_artifact_versions([artifact], [_new(artifact.id, "raced")])
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        versions = sorted(int(v.version) for v in stores[0].list_artifact_versions("raced"))
        assert versions == list(range(1, 21))
    finally:
        for store in stores:
            store.close()


def test_a_cached_step_run_writes_no_version(metadata_store: MetadataStore) -> None:
    """Versions come only with the writes that carry them: a cached step run links its
    source's artifact, whose version stays the one its source created."""
    run = started(metadata_store)
    write = executed(run, "load", 0)
    artifact = write.step_run.outputs["output"]
    metadata_store.record_step_runs([replace(write, versions=(_new(artifact.id, "kept"),))])
    again = started(metadata_store)
    cached = replace(
        executed(again, "load", 0).step_run,
        status="cached",
        cached_from=write.step_run.id,
        outputs={"output": artifact},
    )
    metadata_store.record_step_runs([StepRunWrite(cached)])
    assert [v.version for v in metadata_store.list_artifact_versions("kept")] == ["1"]
