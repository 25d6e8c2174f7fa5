"""Tracing: how step calls inside a pipeline become a graph, and the wiring errors it catches."""

from __future__ import annotations

from typing import Annotated

import pytest

from stepstone import PipelineDefinitionError, StepDefinitionError, pipeline, step


@step
def source() -> tuple[Annotated[int, "a"], Annotated[int, "b"]]:
    return 1, 2


@step
def combine(left: int, right: int, scale: float = 1.0) -> int:
    return int((left + right) * scale)


@step
def sink(value: int) -> None:
    return None


def test_handles_become_inputs_and_literals_become_parameters() -> None:
    @pipeline
    def fan_in(scale: float = 2.0):
        a, b = source()
        total = combine(a, b, scale=scale)
        sink(total)

    graph = fan_in.trace(scale=3.0)
    assert graph.order == ("source", "combine", "sink")
    combined = graph.invocations["combine"]
    assert set(combined.inputs) == {"left", "right"}
    assert combined.inputs["left"].output_name == "a"
    assert combined.literals == {"scale": 3.0}


def test_repeated_steps_are_numbered_unless_given_an_id() -> None:
    @pipeline
    def repeated():
        a, b = source()
        first = combine(a, b)
        second = combine(first, b)
        combine(second, a, id="final")

    assert repeated.trace().order == ("source", "combine", "combine_2", "final")


def test_defaults_are_recorded_as_parameters() -> None:
    @pipeline
    def defaults():
        a, b = source()
        combine(a, b)

    assert defaults.trace().invocations["combine"].literals == {"scale": 1.0}


def test_unknown_input_suggests_the_close_name() -> None:
    @pipeline
    def typo():
        a, b = source()
        combine(a, b, scael=2.0)

    with pytest.raises(
        StepDefinitionError, match=r"no input or parameter named 'scael'\. Did you mean 'scale'"
    ):
        typo.trace()


def test_missing_input_names_the_step_and_the_input() -> None:
    @pipeline
    def missing():
        a, _ = source()
        combine(a)

    with pytest.raises(StepDefinitionError, match="Step 'combine': missing input 'right'"):
        missing.trace()


def test_unpacking_the_wrong_number_of_outputs_names_the_step() -> None:
    @pipeline
    def bad_unpack():
        _a, _b, _c = source()

    with pytest.raises(PipelineDefinitionError, match="step 'source' has 2 outputs \\(a, b\\)"):
        bad_unpack.trace()


def test_a_cycle_through_after_is_reported() -> None:
    @pipeline
    def cyclic():
        a, b = source(after="combine")
        combine(a, b)

    with pytest.raises(PipelineDefinitionError, match="cycle"):
        cyclic.trace()


def test_after_orders_steps_without_data() -> None:
    @pipeline
    def ordered():
        sink(1, id="first")
        sink(2, id="second", after="first")

    assert ordered.trace().invocations["second"].upstream == {"first"}


def test_after_naming_an_unknown_step_suggests_one() -> None:
    @pipeline
    def unknown_after():
        sink(1, id="first")
        sink(2, after="frist")

    with pytest.raises(PipelineDefinitionError, match="Did you mean 'first'"):
        unknown_after.trace()


def test_outputs_inside_containers_and_uncalled_steps_are_refused() -> None:
    @pipeline
    def packed():
        a, b = source()
        sink([a, b])

    @pipeline
    def uncalled():
        sink(source)

    with pytest.raises(StepDefinitionError, match="holds step outputs inside a container"):
        packed.trace()
    with pytest.raises(StepDefinitionError, match="is the step 'source' itself"):
        uncalled.trace()


def test_a_handle_cannot_drive_control_flow() -> None:
    @pipeline
    def branching():
        a, _ = source()
        if a:
            sink(1)

    with pytest.raises(TypeError, match="cannot be used in an 'if'"):
        branching.trace()


def test_an_empty_pipeline_is_refused() -> None:
    @pipeline
    def empty():
        return None

    with pytest.raises(PipelineDefinitionError, match="calls no steps"):
        empty.trace()
