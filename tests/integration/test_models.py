"""Models end to end: versions per run, linked artifacts, stages, metadata (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest

from stepstone import (
    ArtifactConfig,
    Model,
    StepExecutionError,
    get_pipeline_context,
    get_step_context,
    log_metadata,
    pipeline,
    step,
)
from stepstone.client import Client
from stepstone.enums import ModelStages
from stepstone.exceptions import (
    DefinitionError,
    MetadataTargetError,
    ModelNotFoundError,
    ModelStageError,
    ModelVersionNotFoundError,
)

SEEN: list[object] = []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs recorded in the test's home (SQLite) or in a fresh PostgreSQL schema."""
    if request.param == "postgres":
        monkeypatch.setenv("STEPSTONE_METADATA_URL", request.getfixturevalue("postgres_url"))
    SEEN.clear()
    return str(request.param)


@step
def load() -> Annotated[list, "iris_data"]:
    return [1.0, 2.0, 3.0]


@step
def train(data: list) -> Annotated[dict, ArtifactConfig(name="iris_clf", is_model_artifact=True)]:
    model = get_step_context().model
    SEEN.append((model.name, model.version, model.number))
    log_metadata(metadata={"accuracy": 0.9}, infer_model=True)
    return {"threshold": sum(data) / len(data)}


@pipeline(model=Model(name="iris", description="Iris classifier", tags=["demo"]))
def training() -> None:
    SEEN.append(get_pipeline_context().model)
    train(load())


@pytest.mark.usefixtures("store")
def test_each_run_makes_a_version_and_links_its_artifacts() -> None:
    first = training()
    second = training()  # fully cached: still a run of the model, so a version
    assert second.steps["train"].status == "cached"
    model = Client().get_model("iris")
    assert model.description == "Iris classifier" and model.tags == ["demo"]
    assert [v.name for v in model.versions] == ["2", "1"]
    one, two = Client().get_model_version("iris", 1), Client().get_model_version("iris")
    assert one.run_id == first.id and two.run_id == second.id
    assert ("iris", "1", 1) in SEEN  # the step saw the version it worked on
    assert SEEN[0] == training.options.model
    for version in (one, two):  # the cached run links the artifacts it reused
        assert set(version.model_artifacts) == {"iris_clf"}
        assert set(version.data_artifacts) == {"iris_data"}
        assert version.get_artifact("iris_clf").load() == {"threshold": 2.0}
    assert one.run_metadata == {"accuracy": 0.9}  # logged where the step executed
    assert two.get_artifact("nothing") is None
    assert second.graph["config"]["models"][0]["version"] == "2"


@pytest.mark.usefixtures("store")
def test_stages_promote_one_version_at_a_time() -> None:
    training()
    training()
    client = Client()
    older, newer = client.get_model_version("iris", 1), client.get_model_version("iris", 2)
    older.set_stage(ModelStages.PRODUCTION)
    with pytest.raises(ModelStageError, match="version '1' is in stage 'production' already"):
        newer.set_stage("production")
    newer.set_stage("production", force=True)
    assert client.get_model_version("iris", "production").number == 2
    assert client.get_model_version("iris", 1).stage is ModelStages.ARCHIVED
    with pytest.raises(ModelStageError, match="Did you mean 'production'"):
        newer.set_stage("prod")
    with pytest.raises(ModelStageError, match="'latest' is not a stage"):
        newer.set_stage(ModelStages.LATEST)
    # A run on the production version attaches to it instead of making a new one.
    training.with_options(model=Model(name="iris", version="production"))()
    assert [v.name for v in client.get_model("iris").versions] == ["2", "1"]


@pytest.mark.usefixtures("store")
def test_named_versions_attach_and_missing_stages_fail_before_the_run() -> None:
    named = training.with_options(model=Model(name="iris", version="1.0.5"))
    named()
    named()
    assert [v.name for v in Client().get_model("iris").versions] == ["1.0.5"]
    staged = training.with_options(model=Model(name="iris", version="staging"))
    with pytest.raises(ModelVersionNotFoundError, match="no version in stage 'staging'"):
        staged()
    assert len(Client().list_runs()) == 2  # refused before a run was recorded


@pytest.mark.usefixtures("store")
def test_metadata_on_a_model_version_from_outside_a_run() -> None:
    training()
    log_metadata(metadata={"reviewed": True}, model_name="iris", model_version=1)
    log_metadata(metadata={"latest": True}, model_name="iris")
    assert Client().get_model_version("iris", 1).run_metadata == {
        "accuracy": 0.9,
        "latest": True,
        "reviewed": True,
    }
    with pytest.raises(ModelNotFoundError, match="Did you mean 'iris'"):
        log_metadata(metadata={"x": 1}, model_name="irsi")
    with pytest.raises(ModelVersionNotFoundError, match="Its versions, newest first: 1"):
        log_metadata(metadata={"x": 1}, model_name="iris", model_version="9")


@step
def orphan() -> int:
    log_metadata(metadata={"x": 1}, infer_model=True)
    return 1


@pipeline
def unmodelled() -> None:
    orphan()


def test_infer_model_without_a_model_says_how_to_give_one() -> None:
    with pytest.raises(StepExecutionError) as caught:
        unmodelled()
    assert isinstance(caught.value.__cause__, MetadataTargetError)
    assert "model=Model(name=...)" in str(caught.value.__cause__)


def test_bad_models_are_refused_when_written() -> None:
    with pytest.raises(DefinitionError, match="Did you mean 'license'"):
        Model(name="iris", licence="MIT")
    with pytest.raises(DefinitionError, match="a model needs a name"):
        Model(version="1")
    with pytest.raises(DefinitionError, match=r"model=Model\(name='iris'\)"):
        training.with_options(model="iris")
    with pytest.raises(ModelNotFoundError, match="stepstone models list"):
        Client().get_model("nothing")


@pytest.mark.usefixtures("store")
def test_a_yaml_files_model_section_makes_the_runs_work_on_it(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    config = tmp_path / "config.yaml"
    config.write_text("model:\n  name: iris_yaml\n  version: '2.0'\n  license: MIT\n")
    training.with_options(config_path=config)()
    version = Client().get_model_version("iris_yaml", "2.0")
    assert version.model.license == "MIT"
    config.write_text("model:\n  name: iris_yaml\n  licence: MIT\n")
    from stepstone.exceptions import RunConfigError

    with pytest.raises(RunConfigError, match="Did you mean 'license'"):
        training.with_options(config_path=config)
