"""Real pipelines on a real SQLite file and local artifact store: what ran, what was reused."""

from __future__ import annotations

import logging
from typing import Annotated

import numpy as np
import pytest

from stepstone import Client, StepDefinitionError, StepExecutionError, pipeline, step
from stepstone.exceptions import CacheMissWarning, RunNotFoundError
from stepstone.models import PipelineRun

CALLS: list[str] = []
FAIL_TRAINER = {"on": False}


def ran(run: PipelineRun) -> list[str]:
    return [name for name, s in run.steps.items() if s.status == "completed"]


def cached(run: PipelineRun) -> list[str]:
    return [name for name, s in run.steps.items() if s.status == "cached"]


@step
def importer() -> tuple[Annotated[np.ndarray, "X"], Annotated[np.ndarray, "y"]]:
    CALLS.append("importer")
    print("importing 8 rows")
    logging.getLogger("user.importer").warning("data is tiny")
    return np.arange(16, dtype=np.float64).reshape(8, 2), np.array([0, 1] * 4)


@step
def normalizer(X: np.ndarray) -> np.ndarray:
    CALLS.append("normalizer")
    return X / X.max()


@step
def trainer(X: np.ndarray, y: np.ndarray, lr: float = 0.1) -> dict:
    CALLS.append("trainer")
    if FAIL_TRAINER["on"]:
        raise ValueError("learning rate schedule is broken")
    return {"weights": (X.mean(axis=0) * lr).tolist(), "classes": sorted(set(y.tolist()))}


@step
def evaluator(model: dict, X: np.ndarray) -> float:
    CALLS.append("evaluator")
    return float(len(model["weights"]) + X.shape[0])


@pipeline
def training(lr: float = 0.1):
    X, y = importer()
    X_n = normalizer(X)
    model = trainer(X_n, y, lr=lr)
    evaluator(model, X_n)


@pytest.fixture(autouse=True)
def reset_calls():
    CALLS.clear()
    FAIL_TRAINER["on"] = False


def test_second_run_reuses_every_unchanged_step():
    first = training()
    second = training()
    assert first.status == second.status == "completed"
    assert ran(first) == ["importer", "normalizer", "trainer", "evaluator"]
    assert cached(second) == ["importer", "normalizer", "trainer", "evaluator"]
    assert CALLS == ["importer", "normalizer", "trainer", "evaluator"]
    for name, step_run in second.steps.items():
        assert step_run.cached_from == first.steps[name].id
        assert step_run.cache_key == first.steps[name].cache_key
    assert second.steps["evaluator"].output.load() == 10.0
    assert second.steps["trainer"].output.content_hash == first.steps["trainer"].output.content_hash


def test_a_changed_parameter_reruns_that_step_and_its_consumers_only():
    training(lr=0.1)
    CALLS.clear()
    second = training(lr=0.5)
    assert cached(second) == ["importer", "normalizer"]
    assert ran(second) == ["trainer", "evaluator"]
    assert CALLS == ["trainer", "evaluator"]
    assert second.steps["trainer"].parameters == {"lr": 0.5}


def test_outputs_load_back_with_their_types():
    run = training()
    X = run.steps["importer"].outputs["X"].load()
    assert isinstance(X, np.ndarray) and X.shape == (8, 2)
    assert run.steps["trainer"].output.load()["classes"] == [0, 1]
    with pytest.raises(AttributeError, match="has 2 outputs"):
        run.steps["importer"].output  # noqa: B018


def test_a_cached_run_reads_no_artifact_bytes(monkeypatch):
    training()
    from stepstone.artifacts import ArtifactStore

    loads: list[str] = []
    original = ArtifactStore.load

    def counting_load(self, uri, *args, **kwargs):
        loads.append(uri)
        return original(self, uri, *args, **kwargs)

    monkeypatch.setattr(ArtifactStore, "load", counting_load)
    second = training()
    assert cached(second) == list(second.steps)
    assert loads == []


def test_a_failing_step_fails_the_run_and_keeps_earlier_results_cached():
    FAIL_TRAINER["on"] = True
    with pytest.raises(StepExecutionError, match="Step 'trainer' failed") as caught:
        training()
    error = caught.value
    assert (error.invocation_name, error.definition_name) == ("trainer", "trainer")
    assert isinstance(error.__cause__, ValueError)
    failed_run = Client().get_run(error.run_id)
    assert failed_run.status == "failed"
    assert failed_run.steps["trainer"].status == "failed"
    assert "learning rate schedule is broken" in failed_run.steps["trainer"].error
    assert "evaluator" not in failed_run.steps

    FAIL_TRAINER["on"] = False
    CALLS.clear()
    fixed = training()
    assert cached(fixed) == ["importer", "normalizer"]
    assert ran(fixed) == ["trainer", "evaluator"]


def test_logs_are_captured_and_shown_for_cached_steps_too():
    first = training()
    logs = first.steps["importer"].logs
    assert "importing 8 rows" in logs
    assert "WARNING user.importer: data is tiny" in logs
    second = training()
    assert second.steps["importer"].logs == logs


def test_missing_artifact_files_make_a_miss_with_a_warning():
    import shutil
    from pathlib import Path

    first = training()
    uri = first.steps["normalizer"].output.uri
    shutil.rmtree(Path(uri))
    CALLS.clear()
    with pytest.warns(CacheMissWarning, match="Step 'normalizer': cached outputs output"):
        second = training()
    assert "normalizer" in ran(second)
    assert CALLS == ["normalizer"]  # identical bytes again: consumers stay cached
    assert second.steps["normalizer"].output.load().max() == 1.0
    third = training()
    assert cached(third) == list(third.steps)


def test_cache_can_be_disabled_per_pipeline_and_per_process(monkeypatch):
    training()
    CALLS.clear()
    uncached = training.with_options(enable_cache=False)()
    assert ran(uncached) == list(uncached.steps)

    monkeypatch.setenv("STEPSTONE_CACHE", "off")
    CALLS.clear()
    off = training()
    assert ran(off) == list(off.steps)
    assert len(CALLS) == 4


def test_cache_version_bump_reruns_the_step():
    training()
    CALLS.clear()

    bumped = trainer.with_options(cache_version=2)

    @pipeline
    def training_bumped():
        X, y = importer()
        bumped(normalizer(X), y)

    first = training_bumped()
    assert "trainer" in ran(first) and "importer" in cached(first)


@step(enable_cache=False)
def constant_source() -> int:
    CALLS.append("constant_source")
    return 41


@step
def increment(value: int) -> int:
    CALLS.append("increment")
    return value + 1


@pipeline
def cutoff():
    increment(constant_source())


def test_identical_output_from_a_rerun_producer_keeps_the_consumer_cached():
    cutoff()
    CALLS.clear()
    second = cutoff()
    assert ran(second) == ["constant_source"]
    assert cached(second) == ["increment"]
    assert CALLS == ["constant_source"]


@step
def scale(X: np.ndarray, factor: float = 2.0) -> np.ndarray:
    CALLS.append("scale")
    return X * factor


def test_a_literal_array_is_stored_as_an_input_artifact_and_keys_the_cache():
    @pipeline
    def scaling(data: list):
        scale(np.array(data))

    first = scaling([1.0, 2.0])
    again = scaling([1.0, 2.0])
    other = scaling([1.0, 3.0])
    assert ran(first) == ["scale"] and cached(again) == ["scale"] and ran(other) == ["scale"]
    assert first.steps["scale"].inputs["X"].load().tolist() == [1.0, 2.0]
    assert first.steps["scale"].inputs["X"].producer_step_run_id is None


def test_an_unencodable_parameter_is_refused_before_anything_runs():
    @pipeline
    def bad():
        trainer(importer()[0], importer()[1], lr=object())  # type: ignore[arg-type]

    with pytest.raises(StepDefinitionError, match="Step 'trainer': parameter 'lr' = <object"):
        bad()
    assert CALLS == []
    assert Client().list_runs() == []


@step
def too_few() -> tuple[Annotated[int, "a"], Annotated[int, "b"]]:
    values = (1,)
    return values  # type: ignore[return-value]


def test_returning_the_wrong_number_of_values_fails_the_step_clearly():
    @pipeline
    def short():
        too_few()

    with pytest.raises(StepExecutionError, match="returned 1 values but declares 2 outputs"):
        short()


@step
def unstorable() -> object:
    return (i for i in range(3))


def test_an_output_no_materializer_can_store_fails_the_step_and_stores_nothing():
    @pipeline
    def generator_pipeline():
        unstorable()

    with pytest.raises(StepExecutionError, match="Step 'unstorable' failed") as caught:
        generator_pipeline()
    run = Client().get_run(caught.value.run_id)
    assert run.steps["unstorable"].outputs == {}
    assert run.steps["unstorable"].status == "failed"


def test_client_finds_runs_by_id_prefix_name_and_latest():
    first = training()
    second = training(lr=0.2)
    client = Client()
    assert [r.id for r in client.list_runs()] == [second.id, first.id]
    assert [r.id for r in client.list_runs("training")] == [second.id, first.id]
    assert client.list_runs("other") == []
    assert client.get_run(first.id[:10]).id == first.id
    assert client.get_run(first.name).id == first.id
    assert client.get_run("latest").id == second.id
    assert client.last_run("training").id == second.id
    read_back = client.get_run(second.id)
    assert list(read_back.steps) == list(second.steps)
    assert read_back.steps["trainer"].output.load() == second.steps["trainer"].output.load()
    assert read_back.duration is not None and read_back.duration >= 0
    with pytest.raises(RunNotFoundError, match="Did you mean"):
        client.get_run(first.name[:-1] + "x")


def test_console_lines_follow_the_documented_format(capsys):
    training()
    training()
    out = capsys.readouterr().out
    assert "Step `normalizer` has started." in out
    assert "Step `normalizer` has finished in " in out
    assert "Using cached version of step `normalizer` (from run training-" in out
    assert "step(s) ran" in out


def test_refresh_reexecutes_a_step_and_its_fresh_result_replaces_the_entry():
    first = training()
    CALLS.clear()
    refreshed = training.with_options(refresh=["normalizer"])()
    assert ran(refreshed) == ["normalizer"]
    assert CALLS == ["normalizer"]  # identical output: its consumers stay cached
    assert "refresh was requested for this step" in str(refreshed.steps["normalizer"].explain())
    again = training()
    assert again.steps["normalizer"].cached_from == refreshed.steps["normalizer"].id
    assert again.steps["importer"].cached_from == first.steps["importer"].id


def test_refresh_of_an_unknown_step_suggests_one():
    from stepstone import PipelineDefinitionError

    with pytest.raises(PipelineDefinitionError, match="Did you mean 'normalizer'"):
        training.with_options(refresh=["normaliser"])()


def test_explain_says_why_a_step_ran_or_was_reused():
    first = training(lr=0.1)
    assert [r.kind for r in first.steps["trainer"].explain().reasons] == ["no_earlier_run"]
    second = training(lr=0.2)
    trainer_reasons = second.steps["trainer"].explain()
    assert "parameter lr: 0.1 → 0.2" in str(trainer_reasons)
    evaluator_reasons = str(second.steps["evaluator"].explain())
    assert "input model changed because step trainer ran again" in evaluator_reasons
    data = second.steps["importer"].explain().to_dict()
    assert data["status"] == "cached" and data["reasons"][0]["kind"] == "cached"
    against_first = Client().explain(second.id, "trainer", against=first.id)
    assert against_first.against_run == first.name


@step(cache_depends_on=["env:STEPSTONE_TEST_SOURCE", "source_dir"])
def read_source() -> str:
    CALLS.append("read_source")
    return "read"


def test_declared_environment_and_directory_dependencies_key_the_cache(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "source_dir").mkdir()
    (tmp_path / "source_dir" / "a.csv").write_text("1,2\n")

    @pipeline
    def reading():
        read_source()

    monkeypatch.setenv("STEPSTONE_TEST_SOURCE", "table_v1")
    assert ran(reading()) == ["read_source"]
    assert cached(reading()) == ["read_source"]
    monkeypatch.setenv("STEPSTONE_TEST_SOURCE", "table_v2")
    changed_env = reading()
    assert ran(changed_env) == ["read_source"]
    assert "environment variable STEPSTONE_TEST_SOURCE changed" in str(
        changed_env.steps["read_source"].explain()
    )
    (tmp_path / "source_dir" / "b.csv").write_text("3,4\n")
    assert ran(reading()) == ["read_source"]
    assert cached(reading()) == ["read_source"]


def test_bad_cache_options_are_refused_at_decoration():
    import datetime as dt

    with pytest.raises(StepDefinitionError, match="cache_expires_after must be a positive"):
        step(cache_expires_after=dt.timedelta(0))(lambda: 1)
    with pytest.raises(StepDefinitionError, match="cache_depends_on takes paths"):
        step(cache_depends_on=[42])(lambda: 1)  # type: ignore[list-item]


def _corrupt(uri: str) -> None:
    from pathlib import Path

    data = max(
        (p for p in Path(uri).iterdir() if not p.name.startswith(".")),
        key=lambda p: p.stat().st_size,
    )
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 0xFF
    data.write_bytes(bytes(raw))


def test_a_damaged_cached_input_makes_its_producer_run_again_within_the_run():
    first = training(lr=0.1)
    _corrupt(first.steps["normalizer"].output.uri)
    CALLS.clear()
    with pytest.warns(
        CacheMissWarning, match="input 'X' from step 'normalizer' is missing or damaged"
    ):
        second = training(lr=0.3)
    assert second.status == "completed"
    assert cached(second) == ["importer"]
    assert sorted(ran(second)) == ["evaluator", "normalizer", "trainer"]
    # trainer's first attempt stopped at loading its input: its function ran once, afterwards.
    assert CALLS == ["normalizer", "trainer", "evaluator"]
    assert second.steps["normalizer"].cache_components["decision"] == "artifacts_missing"
    assert second.steps["normalizer"].output.load().max() == 1.0
    read_back = Client().get_run(second.id)
    assert sorted(read_back.steps) == sorted(second.steps)
    assert read_back.steps["normalizer"].status == "completed"
    third = training(lr=0.3)
    assert cached(third) == list(third.steps)


@step(materializer="cloudpickle")
def pickled_numbers() -> list:
    return [1, 2, 3]


def test_a_step_can_choose_its_output_materializer() -> None:
    @pipeline
    def choosing():
        pickled_numbers()

    run = choosing()
    output = run.steps["pickled_numbers"].output
    assert output.materializer == "cloudpickle"
    assert output.load() == [1, 2, 3]
    assert run.steps["pickled_numbers"].cache_components["output_spec"][0][2] == "cloudpickle@1"


def test_a_materializer_for_an_unknown_output_or_name_is_refused_before_running() -> None:
    with pytest.raises(StepDefinitionError, match=r"names output 'wrong'.*Its outputs: output"):
        step(materializer={"wrong": "cloudpickle"})(pickled_numbers.func)

    @step(materializer="no.such.materializer")
    def misnamed() -> int:
        return 1

    @pipeline
    def bad_choice():
        misnamed()

    with pytest.raises(StepDefinitionError, match="Step 'misnamed': materializer for 'output'"):
        bad_choice()
    assert Client().list_runs() == []


def test_allow_pickle_off_refuses_to_load_pickled_artifacts(monkeypatch) -> None:
    from stepstone.exceptions import MaterializerError
    from stepstone.stores import close_all_stores

    @pipeline
    def choosing():
        pickled_numbers()

    run = choosing()
    close_all_stores()
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", "0")
    with pytest.raises(MaterializerError, match="pickle"):
        Client().get_run(run.id).steps["pickled_numbers"].output.load()


def test_a_refresh_that_fails_keeps_the_earlier_result_cached():
    first = training()
    FAIL_TRAINER["on"] = True
    with pytest.raises(StepExecutionError, match="Step 'trainer' failed"):
        training.with_options(refresh=["trainer"])()
    FAIL_TRAINER["on"] = False
    again = training()
    assert cached(again) == list(again.steps)
    assert again.steps["trainer"].cached_from == first.steps["trainer"].id
