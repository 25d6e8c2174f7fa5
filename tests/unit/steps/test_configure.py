"""configure (in place) beside with_options (a copy), for steps and pipelines."""

from __future__ import annotations

import pytest

from stepstone import PipelineDefinitionError, StepDefinitionError, pipeline, step


def make_step():  # a fresh step per test: configure changes it in place
    @step(settings={"resources": {"cpu": 1}})
    def scale(value: int, factor: int = 1) -> int:
        print("scaling")
        return value * factor

    return scale


def test_configure_changes_the_step_in_place_and_with_options_a_copy() -> None:
    scale = make_step()
    copy = scale.with_options(enable_cache=False)
    assert scale.configure(parameters={"factor": 3}) is scale
    assert scale.options.parameters == {"factor": 3}
    assert copy.enable_cache is False and copy.options.parameters == {}
    scale.configure(settings={"resources": {"gpu": 1}})
    assert scale.options.settings == {"resources": {"cpu": 1, "gpu": 1}}
    scale.configure(settings={"other": True}, merge=False)
    assert scale.options.settings == {"other": True}


def test_unknown_options_and_parameters_are_named_with_a_suggestion() -> None:
    scale = make_step()
    with pytest.raises(StepDefinitionError, match=r"unknown option 'enable_cach'.*'enable_cache'"):
        scale.with_options(enable_cach=False)
    with pytest.raises(StepDefinitionError, match=r"'factr'.*Did you mean 'factor'"):
        scale.configure(parameters={"factr": 2})
    with pytest.raises(StepDefinitionError, match="settings takes a dictionary"):
        scale.configure(settings=["x"])
    with pytest.raises(PipelineDefinitionError, match="unknown option 'paramters'"):
        pipeline(lambda: None).with_options(paramters={})


def test_a_configured_parameter_fills_the_call_and_a_different_one_is_an_error() -> None:
    scale = make_step().with_options(parameters={"factor": 4})

    @pipeline
    def configured(value: int):
        scale(value)

    @pipeline
    def conflicting():
        scale(1, factor=5)

    @pipeline
    def agreeing():
        scale(1, factor=4)

    assert configured.trace(2).invocations["scale"].literals == {"value": 2, "factor": 4}
    assert agreeing.trace().invocations["scale"].literals["factor"] == 4
    with pytest.raises(StepDefinitionError, match="'factor' is configured as 4 but the call"):
        conflicting.trace()


def test_pipeline_parameters_fill_its_arguments_and_conflicts_are_errors() -> None:
    scale = make_step()

    @pipeline
    def flow(value: int):
        scale(value)

    assert flow.with_options(parameters={"value": 6}).bind() == {"value": 6}
    with pytest.raises(PipelineDefinitionError, match="'value' is configured as 6"):
        flow.with_options(parameters={"value": 6}).bind(7)
    with pytest.raises(PipelineDefinitionError, match=r"'valu'.*Did you mean 'value'"):
        flow.configure(parameters={"valu": 1})


def test_settings_and_logs_are_recorded_step_over_pipeline() -> None:
    scale = make_step().with_options(enable_step_logs=False, extra={"tag": "step"})

    @pipeline(settings={"resources": {"memory": "1GB"}}, extra={"tag": "run", "team": "a"})
    def flow():
        scale(2)

    run = flow.with_options(enable_cache=False)()
    config = run.steps["scale"].config
    assert config.settings == {"resources": {"memory": "1GB", "cpu": 1}}
    assert config.extra == {"tag": "step", "team": "a"}
    assert config.enable_step_logs is False
    assert run.steps["scale"].logs is None  # printed, not stored
    assert run.config.enable_cache is False and run.config.extra["tag"] == "run"


def test_resolve_names_where_the_step_is_defined() -> None:
    source = make_step().resolve()
    assert source.module == __name__
    assert source.import_path.endswith("make_step.<locals>.scale")
