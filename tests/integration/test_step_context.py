"""The step context and logged metadata on real runs: thread workers, caching, errors."""

from __future__ import annotations

import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import pytest

from stepstone import (
    Client,
    StepExecutionError,
    get_pipeline_context,
    get_step_context,
    log_metadata,
    pipeline,
    step,
)
from stepstone.exceptions import MetadataTargetError, MetadataValueError, StepContextError
from stepstone.execution.context import StepInfo
from stepstone.metadata.metadata_types import Path, StorageSize, Uri
from stepstone.orchestrators.driver import run_pipeline


@step
def describe(tag: str = "x") -> str:
    context = get_step_context()
    log_metadata(metadata={"tag": tag, "where": Path("/data")})
    return f"{context.step_name}|{context.pipeline_run.id}|{context.step_run.config.parameters}"


@step
def pair() -> tuple[Annotated[int, "low"], Annotated[int, "high"]]:
    get_step_context().add_output_metadata({"half": True}, output_name="high")
    return 1, 2


@pipeline
def described(tag: str = "x") -> None:
    describe(tag=tag)
    describe(tag="second", id="again")


def test_every_step_sees_its_own_context_on_threads() -> None:
    with ThreadPoolExecutor(2) as pool:
        run = run_pipeline(described, executor=pool, listeners=[])
    first = run.steps["describe"].output.load()
    again = run.steps["again"].output.load()
    assert first == f"describe|{run.id}|{{'tag': 'x'}}"
    assert again == f"again|{run.id}|{{'tag': 'second'}}"
    assert run.steps["again"].run_metadata == {"tag": "second", "where": "/data"}
    assert type(run.steps["again"].run_metadata["where"]) is Path


def test_what_a_task_carries_for_the_context_pickles_for_process_workers() -> None:
    info = StepInfo("r", "run-1", "p", "s", "s", {"a": 1}, output_names=("output",))
    assert pickle.loads(pickle.dumps(info)) == info


def test_reading_the_context_does_not_change_the_cache_key() -> None:
    first = described()
    second = described()
    assert {s.status for s in second.steps.values()} == {"cached"}
    # The cached output still says which run computed it: the value is the first run's.
    assert second.steps["describe"].output.load().split("|")[1] == first.id
    assert second.steps["describe"].run_metadata == first.steps["describe"].run_metadata
    assert (
        second.run_metadata
        == first.run_metadata
        == {
            "again::tag": "second",
            "again::where": "/data",
            "describe::tag": "x",
            "describe::where": "/data",
        }
    )


def test_output_metadata_goes_to_the_named_output() -> None:
    @pipeline
    def pairs() -> None:
        pair()

    run = pairs()
    outputs = run.steps["pair"].outputs
    assert outputs["high"].run_metadata == {"half": True}
    assert outputs["low"].run_metadata == {}


def test_context_apis_outside_a_step_say_where_they_work() -> None:
    with pytest.raises(StepContextError, match="outside a running step"):
        get_step_context()
    with pytest.raises(StepContextError, match="outside a pipeline function"):
        get_pipeline_context()
    with pytest.raises(StepContextError, match="infer_artifact"):
        log_metadata(metadata={"a": 1}, infer_artifact=True)
    with pytest.raises(MetadataTargetError, match="without a target"):
        log_metadata(metadata={"a": 1})
    with pytest.raises(StepContextError, match="no model to infer"):
        log_metadata(metadata={"a": 1}, infer_model=True)
    with pytest.raises(MetadataTargetError, match="run_id_name_or_prefix"):
        log_metadata(metadata={"a": 1}, step_name="describe")


def test_a_value_that_cannot_be_stored_fails_the_step_naming_the_key() -> None:
    @step
    def bad() -> int:
        log_metadata(metadata={"model": object()})
        return 1

    @pipeline
    def bad_pipeline() -> None:
        bad()

    with pytest.raises(StepExecutionError) as caught:
        bad_pipeline()
    cause = caught.value.__cause__
    assert isinstance(cause, MetadataValueError)
    assert "Step 'bad': metadata 'model' holds a object" in str(cause)
    assert Client().list_artifacts() == []  # nothing half-recorded


def test_a_wrong_output_name_suggests_the_right_one() -> None:
    @step
    def tagged() -> tuple[Annotated[int, "low"], Annotated[int, "high"]]:
        get_step_context().add_output_tags(["t"], output_name="hihg")
        return 1, 2

    @pipeline
    def tagging() -> None:
        tagged()

    with pytest.raises(StepExecutionError) as caught:
        tagging()
    assert "Did you mean 'high'?" in str(caught.value.__cause__)


def test_metadata_logged_to_a_step_of_a_run_that_does_not_exist_fails_that_step() -> None:
    @step
    def points_elsewhere() -> int:
        log_metadata(metadata={"a": 1}, step_name="x", run_id_name_or_prefix="no-such-run")
        return 1

    @pipeline
    def elsewhere() -> None:
        points_elsewhere()

    with pytest.raises(StepExecutionError, match="No run matches 'no-such-run'"):
        elsewhere()


def test_metadata_logged_after_the_run_reads_back_typed() -> None:
    run = described()
    step_run = run.steps["describe"]
    log_metadata(metadata={"uri": Uri("s3://b/o")}, step_id=step_run.id)
    log_metadata(metadata={"size": StorageSize(5)}, artifact_version_id=step_run.output.id)
    log_metadata(metadata={"tuple": (1, {2, 3})}, run_id_name_or_prefix=run.id[:8])
    assert type(step_run.run_metadata["uri"]) is Uri
    assert step_run.output.run_metadata == {"size": 5}
    assert run.run_metadata["tuple"] == [1, [2, 3]]


def test_a_misspelt_name_suggests_the_right_one() -> None:
    import stepstone
    import stepstone.steps

    with pytest.raises(AttributeError, match="Did you mean 'log_metadata'"):
        stepstone.log_metdata  # noqa: B018
    with pytest.raises(AttributeError, match="Did you mean 'get_step_context'"):
        stepstone.steps.get_step_contxt  # noqa: B018


def test_an_output_gets_a_folder_for_its_extra_files() -> None:
    @step
    def writes_files() -> str:
        folder = get_step_context().get_output_artifact_uri()
        with open(os.path.join(folder, "notes.txt"), "w") as handle:
            handle.write("extra")
        return folder

    @pipeline
    def writing() -> None:
        writes_files()

    run = writing()
    folder = run.steps["writes_files"].output.load()
    assert folder.endswith(f"step-files/{run.id}/writes_files/output")
    with open(os.path.join(folder, "notes.txt")) as handle:
        assert handle.read() == "extra"
