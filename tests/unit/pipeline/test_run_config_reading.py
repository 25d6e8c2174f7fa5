"""Reading a run configuration and applying it while tracing: no stores, no runs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from stepstone import pipeline, step
from stepstone.exceptions import RunConfigError
from stepstone.pipeline.definition import Pipeline
from stepstone.pipeline.run_config import parse_run_config, run_config_from_dict
from stepstone.pipeline.run_config_template import run_configuration_template


@step(enable_cache=False, settings={"resources": {"cpu_count": 1}})
def produce(size: int = 2) -> list:
    return [0] * size


@step
def consume(items: list, scale: float = 1.0) -> float:
    return len(items) * scale


@pipeline
def flow(size: int = 2) -> None:
    consume(produce(size=size))
    consume(produce(size=size), id="consume_again")


def configured(text: str) -> Pipeline:
    config = parse_run_config(text, path="run.yaml")
    return Pipeline(flow.func, dataclasses.replace(flow.options, run_config=config))


def test_null_and_missing_keys_change_nothing() -> None:
    config = run_config_from_dict({"enable_cache": None, "parameters": None, "steps": {"a": {}}})
    assert config.options == {}
    assert config.steps == {"a": {}}
    assert run_config_from_dict(None).options == {}


def test_a_model_given_by_name_is_recorded_as_a_mapping() -> None:
    assert run_config_from_dict({"model": "classifier"}).model == {"name": "classifier"}


def test_step_options_from_the_file_beat_the_decorator_and_merge_settings() -> None:
    graph = configured(
        "steps:\n"
        "  produce:\n"
        "    enable_cache: true\n"
        "    settings: {resources: {memory: 1GB}}\n"
        "  consume_again:\n"
        "    parameters: {scale: 2.5}\n"
    ).trace()
    produced = graph.invocations["produce"].step
    assert produced.enable_cache is True
    assert produced.options.settings == {"resources": {"cpu_count": 1, "memory": "1GB"}}
    assert graph.invocations["consume_again"].literals["scale"] == 2.5
    assert graph.invocations["consume"].literals["scale"] == 1.0  # configured by id only


def test_step_parameters_are_converted_to_the_annotated_type() -> None:
    graph = configured("steps:\n  consume:\n    parameters: {scale: 2}\n").trace()
    scale = graph.invocations["consume"].literals["scale"]
    assert scale == 2.0 and isinstance(scale, float)


def test_an_unknown_step_is_refused_once_traced_with_the_ids() -> None:
    with pytest.raises(RunConfigError, match=r"run.yaml: steps.consume_agian: .*'consume_again'"):
        configured("steps:\n  consume_agian: {}\n").trace()


def test_run_name_placeholders_are_filled_in() -> None:
    config = run_config_from_dict({"run_name": "nightly-{date}-{time}"})
    started = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert config.format_run_name(started) == "nightly-2026_01_02-03_04_05_000006"


def test_the_template_is_valid_and_lists_the_steps_by_id() -> None:
    text = run_configuration_template(flow)
    config = parse_run_config(text)
    assert config.options == {} and config.run_name is None
    assert set(config.steps) == {"produce", "consume", "produce_2", "consume_again"}
    assert "# scale: 1.0   # float" in text


def test_a_pipeline_that_cannot_be_traced_gets_a_template_without_steps() -> None:
    @pipeline
    def needs_text(name: str) -> None:
        produce(size=len(name))

    text = run_configuration_template(needs_text)
    assert "The steps could not be listed" in text
    assert "# name: ...   # str, required" in text
    assert parse_run_config(text).steps == {}
