"""The metadata store contract, logged metadata and artifact tags, on every backend."""

from __future__ import annotations

from contracts.metadata_factories import executed, key, make_artifact, make_step, started
from stepstone.metadata import MetadataStore, StepRunWrite
from stepstone.metadata.metadata_types import DType, StorageSize, Uri
from stepstone.metadata.records import ArtifactTag, MetadataEntry, MetadataResource

STEP = MetadataResource.STEP_RUN


def test_metadata_and_tags_round_trip_with_their_types(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    artifact = make_artifact(None)
    write = executed(run, "load", 0, cache=key("load"))
    step = make_step(run, "train", 1, outputs={"model": artifact})
    values = {"rows": 3, "uri": Uri("s3://b/k"), "size": StorageSize(10), "dtype": DType("int8")}
    metadata_store.record_step_runs(
        [
            write,
            StepRunWrite(
                step,
                new_artifacts=(artifact,),
                metadata=tuple(MetadataEntry(STEP, step.id, k, v) for k, v in values.items()),
                tags=(ArtifactTag(artifact.id, "best"), ArtifactTag(artifact.id, "a")),
            ),
        ]
    )
    found = metadata_store.get_metadata(STEP, [step.id, write.step_run.id])
    assert found == {step.id: values}
    assert type(found[step.id]["uri"]) is Uri
    assert type(found[step.id]["size"]) is StorageSize
    assert metadata_store.get_tags([artifact.id]) == {artifact.id: ["a", "best"]}


def test_a_key_logged_again_keeps_the_last_value(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    entry = MetadataEntry(MetadataResource.PIPELINE_RUN, run.id, "accuracy", 0.5)
    metadata_store.log_metadata([entry])
    metadata_store.log_metadata(
        [
            MetadataEntry(MetadataResource.PIPELINE_RUN, run.id, "accuracy", {"top1": 0.9}),
            MetadataEntry(MetadataResource.PIPELINE_RUN, run.id, "notes", ["a", None]),
        ]
    )
    assert metadata_store.get_metadata(MetadataResource.PIPELINE_RUN, [run.id]) == {
        run.id: {"accuracy": {"top1": 0.9}, "notes": ["a", None]}
    }


def test_deleting_a_run_deletes_what_was_logged_on_it(metadata_store: MetadataStore) -> None:
    run = started(metadata_store)
    artifact = make_artifact(None)
    step = make_step(run, "train", 0, outputs={"model": artifact})
    metadata_store.record_step_runs(
        [
            StepRunWrite(
                step,
                new_artifacts=(artifact,),
                metadata=(
                    MetadataEntry(STEP, step.id, "k", 1),
                    MetadataEntry(MetadataResource.PIPELINE_RUN, run.id, "train::k", 1),
                    MetadataEntry(MetadataResource.ARTIFACT_VERSION, artifact.id, "k", 1),
                ),
                tags=(ArtifactTag(artifact.id, "best"),),
            )
        ]
    )
    metadata_store.delete_run(run.id)
    assert metadata_store.get_metadata(STEP, [step.id]) == {}
    assert metadata_store.get_metadata(MetadataResource.PIPELINE_RUN, [run.id]) == {}
    assert metadata_store.get_metadata(MetadataResource.ARTIFACT_VERSION, [artifact.id]) == {}
    assert metadata_store.get_tags([artifact.id]) == {}
