"""The metadata store contract, models and their versions, on every backend."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from contracts.metadata_factories import executed, started
from stepstone.exceptions import ModelStageError, ModelVersionNotFoundError
from stepstone.metadata import MetadataStore, open_metadata_store
from stepstone.metadata.records import ModelArtifactLink, ModelVersionRequest


def _request(version: str | None = None, **details: object) -> ModelVersionRequest:
    return ModelVersionRequest("iris", version, dict(details), "r" * 32, datetime.now(UTC))


def test_versions_are_created_per_run_or_found_by_name(metadata_store: MetadataStore) -> None:
    first = metadata_store.model_version_for_run(_request(description="Iris classifier"))
    second = metadata_store.model_version_for_run(_request())
    named = metadata_store.model_version_for_run(_request("1.0.5"))
    again = metadata_store.model_version_for_run(_request("1.0.5"))
    assert [(v.name, v.number) for v in (first, second, named)] == [
        ("1", 1),
        ("2", 2),
        ("1.0.5", 3),
    ]
    assert again.id == named.id
    model = metadata_store.get_model("iris")
    assert model is not None and model.details == {"description": "Iris classifier"}
    assert [v.name for v in metadata_store.list_model_versions("iris")] == ["1.0.5", "2", "1"]
    assert [m.name for m in metadata_store.list_models()] == ["iris"]


def test_stages_and_numbers_must_exist(metadata_store: MetadataStore) -> None:
    metadata_store.model_version_for_run(_request())
    with pytest.raises(ModelVersionNotFoundError, match="no version in stage 'production'"):
        metadata_store.model_version_for_run(_request("production"))
    with pytest.raises(
        ModelVersionNotFoundError, match=r"no version '7'.*versions, newest first: 1"
    ):
        metadata_store.model_version_for_run(_request("7"))
    latest = metadata_store.model_version_for_run(_request("latest"))
    assert latest.number == 1


def test_an_exclusive_stage_moves_only_with_force(metadata_store: MetadataStore) -> None:
    first = metadata_store.model_version_for_run(_request())
    second = metadata_store.model_version_for_run(_request())
    metadata_store.set_model_stage(first, "production", force=False)
    with pytest.raises(ModelStageError, match="version '1' is in stage 'production' already"):
        metadata_store.set_model_stage(second, "production", force=False)
    metadata_store.set_model_stage(second, "production", force=True)
    stages = {v.name: v.stage for v in metadata_store.list_model_versions("iris")}
    assert stages == {"2": "production", "1": "archived"}
    found = metadata_store.get_model_version("iris", "production")
    assert found is not None and found.id == second.id
    metadata_store.set_model_stage(second, "archived", force=False)  # many may be archived
    assert metadata_store.get_model_version("iris", "production") is None


def test_step_outputs_link_to_a_version(metadata_store: MetadataStore) -> None:
    version = metadata_store.model_version_for_run(_request())
    run = started(metadata_store)
    write = executed(run, "train", 0)
    artifact = write.step_run.outputs["output"]
    link = ModelArtifactLink(version.id, artifact.id, "clf", "model")
    metadata_store.record_step_runs([replace(write, model_links=(link,))])
    assert metadata_store.model_version_artifacts(version.id) == [(link, artifact)]
    metadata_store.delete_run(run.id)
    assert metadata_store.model_version_artifacts(version.id) == []


def test_concurrent_runs_get_distinct_version_numbers(metadata_url: str) -> None:
    stores = [open_metadata_store(metadata_url) for _ in range(3)]
    errors: list[BaseException] = []

    def create(store: MetadataStore) -> None:
        try:
            for _ in range(4):
                store.model_version_for_run(_request())
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        numbers = sorted(v.number for v in stores[0].list_model_versions("iris"))
        assert numbers == list(range(1, 13))
    finally:
        for store in stores:
            store.close()
