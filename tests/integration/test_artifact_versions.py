"""Named, versioned artifacts on real runs: outputs, caching, save/load, passing versions in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import pytest

from stepstone import (
    ArtifactConfig,
    Client,
    StepExecutionError,
    load_artifact,
    pipeline,
    save_artifact,
    step,
)
from stepstone.enums import ArtifactType
from stepstone.exceptions import (
    ArtifactVersionExistsError,
    ArtifactVersionNotFoundError,
    DefinitionError,
    MetadataValueError,
    UsageError,
)

EXECUTED: list[str] = []


@step(enable_cache=False)
def fresh(
    rows: int = 3,
) -> tuple[
    Annotated[list, "iris_dataset"],
    Annotated[int, ArtifactConfig(name="row_count", tags=["raw"], run_metadata={"rows": 3})],
]:
    return list(range(rows)), rows


@step
def model(data: list) -> Annotated[dict, ArtifactConfig(name="model", is_model_artifact=True)]:
    EXECUTED.append("model")
    return {"weights": sum(data)}


@step
def unnamed(data: list) -> int:
    return len(data)


@pipeline
def training(rows: int = 3) -> None:
    data, _ = fresh(rows)
    model(data)
    unnamed(data)


def _versions(name: str) -> list[str]:
    return [version.version for version in Client().list_artifact_versions(name)]


def test_executed_outputs_become_numbered_versions_and_cached_ones_do_not() -> None:
    EXECUTED.clear()
    training()
    run = training()  # `fresh` executes again (cache disabled); `model` is cached
    assert run.steps["model"].status == "cached" and EXECUTED == ["model"]
    assert _versions("iris_dataset") == ["2", "1"]
    assert _versions("model") == ["1"]  # a cache hit reuses the version its source created
    assert run.steps["model"].output.version == "1"
    assert run.steps["fresh"].outputs["iris_dataset"].version == "2"
    # Unnamed outputs get ZenML's default name, and are versions too.
    assert _versions("training::unnamed::output") == ["1"]
    assert run.steps["unnamed"].output.artifact_name == "training::unnamed::output"


def test_artifact_config_tags_metadata_and_type_are_recorded() -> None:
    training()
    count = Client().get_artifact_version("row_count")
    assert count.tags == ["raw"] and count.run_metadata == {"rows": 3}
    assert count.artifact_type == ArtifactType.DATA and count.has_custom_name
    trained = Client().get_artifact_version("model", "1")
    assert trained.artifact_type == ArtifactType.MODEL and trained.load() == {"weights": 3}
    default = Client().get_artifact_version("training::unnamed::output")
    assert default.has_custom_name is False


@step(enable_cache=False)
def pinned() -> Annotated[int, ArtifactConfig(name="pinned", version="v1")]:
    EXECUTED.append("pinned")
    return 1


@pipeline
def pinning() -> None:
    pinned()


def test_a_given_version_that_exists_fails_the_step_before_it_executes() -> None:
    EXECUTED.clear()
    pinning()
    with pytest.raises(StepExecutionError, match="has a version 'v1' already") as caught:
        pinning()
    assert isinstance(caught.value.__cause__, ArtifactVersionExistsError)
    assert EXECUTED == ["pinned"]
    assert _versions("pinned") == ["v1"]


@step
def dated() -> Annotated[str, ArtifactConfig(name="report_{date}")]:
    return "ok"


@pipeline
def reporting() -> None:
    dated()


def test_name_placeholders_are_filled_with_the_run_start() -> None:
    run = reporting()
    assert run.steps["dated"].output.artifact_name == f"report_{run.started_at:%Y_%m_%d}"


def test_save_and_load_outside_pipelines() -> None:
    first = save_artifact([1, 2], name="numbers", tags=["a"], user_metadata={"n": 2})
    second = save_artifact([1, 2, 3], name="numbers")
    named = save_artifact([0], name="numbers", version="gold")
    assert (first.version, second.version, named.version) == ("1", "2", "gold")
    assert load_artifact("numbers") == [0]  # the latest is the most recent
    assert load_artifact("numbers", version=1) == [1, 2]
    assert load_artifact(first.id) == [1, 2]  # an id works as the name does
    assert first.tags == ["a"] and first.run_metadata == {"n": 2}
    assert [v.version for v in Client().list_artifact_versions("numbers")] == ["gold", "2", "1"]
    page = Client().list_artifact_versions("numbers", size=2, page=2)
    assert [v.version for v in page] == ["1"] and page.total == 3
    with pytest.raises(ArtifactVersionExistsError, match="'gold' already"):
        save_artifact([9], name="numbers", version="gold")


def test_unknown_names_and_versions_say_what_exists() -> None:
    save_artifact([1], name="iris_dataset")
    with pytest.raises(ArtifactVersionNotFoundError, match="Did you mean 'iris_dataset'"):
        load_artifact("iris_datset")
    with pytest.raises(ArtifactVersionNotFoundError, match="Its versions, newest first: 1"):
        Client().get_artifact_version("iris_dataset", "7")
    with pytest.raises(UsageError, match="Did you mean 'user_metadata'"):
        save_artifact([1], name="x", user_metdata={})
    with pytest.raises(MetadataValueError, match="metadata 'bad'"):
        save_artifact([1], name="x", user_metadata={"bad": object()})


@step
def saver() -> int:
    save_artifact(1, name="inside")
    return 1


@pipeline
def saving() -> None:
    saver()


def test_save_artifact_inside_a_step_points_to_outputs() -> None:
    with pytest.raises(StepExecutionError) as caught:
        saving()
    assert isinstance(caught.value.__cause__, UsageError)
    assert "Annotated[T, ArtifactConfig(name='inside')]" in str(caught.value.__cause__)


@step
def total(data: list) -> int:
    EXECUTED.append("total")
    return sum(data)


@pipeline
def summing(data) -> None:
    total(data)


def test_a_version_passed_into_a_pipeline_is_keyed_by_its_content() -> None:
    EXECUTED.clear()
    save_artifact([1, 2, 3], name="inputs")
    assert summing(Client().get_artifact_version("inputs")).steps["total"].output.load() == 6
    save_artifact([1, 2, 3], name="inputs")  # version 2: the same content
    assert summing(Client().get_artifact_version("inputs")).steps["total"].status == "cached"
    save_artifact([4], name="inputs")
    assert summing(Client().get_artifact_version("inputs")).steps["total"].output.load() == 4
    assert EXECUTED == ["total", "total"]


def test_bad_artifact_configs_are_refused_when_written() -> None:
    with pytest.raises(DefinitionError, match=r"no option 'nmae'\. Did you mean 'name'"):
        ArtifactConfig(nmae="x")
    with pytest.raises(DefinitionError, match=r"tags=\['raw'\]"):
        ArtifactConfig(tags="raw")
    with pytest.raises(DefinitionError, match="Did you mean 'MODEL'"):
        ArtifactConfig(artifact_type="MODLE")
    with pytest.raises(DefinitionError, match="a version is a whole number"):
        ArtifactConfig(version=-1)
    with pytest.raises(DefinitionError, match="contradicts is_model_artifact"):
        ArtifactConfig(artifact_type=ArtifactType.DATA, is_model_artifact=True)


def test_unstorable_config_metadata_fails_before_anything_runs() -> None:
    @step
    def bad() -> Annotated[int, ArtifactConfig(name="b", run_metadata={"when": datetime.now(UTC)})]:
        return 1

    @pipeline
    def broken() -> None:
        bad()

    with pytest.raises(MetadataValueError, match="ArtifactConfig of output 'b'"):
        broken()
    assert Client().list_runs() == []


def test_log_metadata_outside_a_step_names_a_version_by_name() -> None:
    from stepstone import log_metadata
    from stepstone.exceptions import MetadataTargetError

    first = save_artifact([1], name="scores")
    save_artifact([2], name="scores")
    log_metadata(metadata={"checked": True}, artifact_name="scores", artifact_version=1)
    log_metadata(metadata={"latest": True}, artifact_name="scores")
    assert Client().get_artifact_version("scores", 1).run_metadata == {"checked": True}
    assert Client().get_artifact_version("scores").run_metadata == {"latest": True}
    assert first.run_metadata == {"checked": True}
    with pytest.raises(ArtifactVersionNotFoundError, match="Did you mean 'scores'"):
        log_metadata(metadata={"x": 1}, artifact_name="score")
    with pytest.raises(MetadataTargetError, match="names a recorded version of artifact_name="):
        log_metadata(metadata={"x": 1}, artifact_version="1")
