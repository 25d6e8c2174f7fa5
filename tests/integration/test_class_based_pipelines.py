"""Class-based pipelines on real runs: step instances, configs in the key, integrations."""

from __future__ import annotations

import numpy as np
import pytest

from stepstone import Client, PipelineDefinitionError, StepDefinitionError
from stepstone.exceptions import MissingIntegrationError
from stepstone.integrations import constants
from stepstone.pipelines import PipelineInstance, pipeline
from stepstone.steps import BaseStepConfig, Output, StepContext, step


class ScaleConfig(BaseStepConfig):
    factor: float = 1.0


@step
def load() -> Output(values=np.ndarray, count=int):  # type: ignore[valid-type]
    return np.arange(4.0), 4


@step
def scale(config: ScaleConfig, values: np.ndarray, context: StepContext) -> float:
    print(f"running as {context.step_name}")
    return float(values.sum() * config.factor)


@step
def report(total: float, count: int) -> str:
    return f"{total}/{count}"


@pipeline
def summing(loader, scaler, reporter):
    values, count = loader()
    total = scaler(values=values)
    reporter(total=total, count=count)


def test_instances_run_under_their_argument_names_and_configs_key_the_cache() -> None:
    first = summing(loader=load(), scaler=scale(config=ScaleConfig(factor=2)), reporter=report())
    assert isinstance(first, PipelineInstance)
    run = first.run()
    assert list(run.steps) == ["loader", "scaler", "reporter"]
    assert run.steps["scaler"].definition_name == "scale"
    assert run.steps["reporter"].output.load() == "12.0/4"
    assert run.steps["scaler"].config.parameters["config"] == {"factor": 2.0}
    assert "running as scaler" in run.steps["scaler"].logs

    again = summing(loader=load(), scaler=scale(config=ScaleConfig(factor=3)), reporter=report())
    second = again.run()
    statuses = {name: step_run.status for name, step_run in second.steps.items()}
    assert statuses == {"loader": "cached", "scaler": "completed", "reporter": "completed"}
    assert second.steps["reporter"].output.load() == "18.0/4"
    reasons = [reason.message for reason in second.steps["scaler"].explain().reasons]
    assert any("parameter config" in r and "2.0" in r and "3.0" in r for r in reasons)

    third = summing(loader=load, scaler=scale(ScaleConfig(factor=3)), reporter=report).run()
    assert all(step_run.status == "cached" for step_run in third.steps.values())
    assert Client().get_pipeline("summing").num_runs == 3


def test_configure_disables_the_cache_for_an_instance() -> None:
    summing(loader=load(), scaler=scale(), reporter=report()).run()
    rerun = summing(loader=load(), scaler=scale(), reporter=report()).configure(enable_cache=False)
    assert all(step_run.status == "completed" for step_run in rerun.run().steps.values())


def test_a_value_instead_of_a_step_is_refused_by_argument() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"argument 'reporter' is 3 \(int\)"):
        summing(loader=load(), scaler=scale(), reporter=3)


def test_a_missing_step_argument_names_the_arguments() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"loader, scaler, reporter"):
        summing(loader=load(), scaler=scale())


def test_required_integrations_are_checked_before_anything_runs(monkeypatch) -> None:
    from stepstone.integrations import extras

    @pipeline(required_integrations=[constants.SKLEARN, constants.TENSORFLOW])
    def needs(loader):
        loader()

    real = extras.Integration.missing
    monkeypatch.setattr(
        extras.Integration,
        "missing",
        lambda self: ("tensorflow",) if self.name == "tensorflow" else real(self),
    )
    with pytest.raises(MissingIntegrationError, match="stepstone integration install tensorflow"):
        needs(loader=load()).run()
    assert Client().list_pipeline_runs().total == 0


def test_an_unknown_required_integration_is_a_definition_error() -> None:
    with pytest.raises(PipelineDefinitionError, match="Did you mean 'sklearn'"):

        @pipeline(required_integrations=["sklearm"])
        def misspelt(loader):
            loader()


def test_every_constant_is_an_integration() -> None:
    from stepstone.integrations.extras import integrations

    names = {integration.name for integration in integrations()}
    values = {v for k, v in vars(constants).items() if k.isupper()}
    assert values <= names


def test_a_pipeline_of_stepstone_pipelines_also_runs_the_modern_way() -> None:
    @step
    def double(x: int) -> int:
        return 2 * x

    @pipeline
    def modern(x: int = 2) -> None:
        double(x=x)

    run = modern(x=4)
    assert run.steps["double"].output.load() == 8


def test_an_instance_outside_a_pipeline_function_is_refused() -> None:
    with pytest.raises(StepDefinitionError, match="runs inside a pipeline"):
        scale()(values=np.ones(1))


def test_calling_the_definition_without_its_steps_says_how_to_run_it() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"takes its steps as arguments.*\.run\(\)"):
        summing()


def test_stepstone_run_of_a_class_based_pipeline_says_to_run_the_file(tmp_path) -> None:
    from typer.testing import CliRunner

    from stepstone.cli.app import app

    flow = tmp_path / "old_flow.py"
    flow.write_text(
        "from stepstone.pipelines import pipeline\n"
        "from stepstone.steps import step\n\n"
        "@step\ndef one() -> int:\n    return 1\n\n"
        "@pipeline\ndef old(first):\n    first()\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", str(flow)])
    assert result.exit_code == 2
    assert "is class-based: its arguments are steps (first)" in result.stderr


def test_positional_inputs_skip_the_config_and_context_arguments() -> None:
    @pipeline
    def positional(loader, scaler, reporter):
        values, count = loader()
        reporter(scaler(values), count)

    run = positional(loader=load(), scaler=scale(ScaleConfig(factor=0.5)), reporter=report()).run()
    assert run.steps["reporter"].output.load() == "3.0/4"


def test_run_takes_a_yaml_run_configuration(tmp_path) -> None:
    instance = summing(loader=load(), scaler=scale(), reporter=report())
    template = tmp_path / "template.yaml"
    instance.write_run_configuration_template(template)
    assert (
        "  scaler:" in template.read_text() and '# config: {"factor": 1.0}' in template.read_text()
    )
    config = tmp_path / "config.yaml"
    config.write_text("run_name: old-style-{time}\nsteps:\n  reporter: {enable_cache: false}\n")
    instance.run(config_path=config)
    run = instance.run(config_path=config)
    assert run.name.startswith("old-style-")
    assert {n: s.status for n, s in run.steps.items()} == {
        "loader": "cached",
        "scaler": "cached",
        "reporter": "completed",
    }
