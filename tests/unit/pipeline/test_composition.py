"""A pipeline called inside another pipeline's function, and a tuple of handles as one input."""

from __future__ import annotations

from typing import Annotated

import pytest

from stepstone import PipelineDefinitionError, pipeline, step


@step
def source(n: int) -> tuple[Annotated[int, "a"], Annotated[int, "b"]]:
    return n, n + 1


@step
def add(pair: tuple) -> int:
    return sum(pair)


@pipeline
def inner(n: int = 1):
    return add(source(n))


def test_an_inner_pipeline_inlines_its_steps_and_returns_its_outputs() -> None:
    @pipeline
    def outer():
        first = inner(1)
        second = inner(n=2)
        return add((first, second))

    graph = outer.trace()
    assert graph.order == ("source", "inner_source", "add", "inner_add", "add_2")
    assert graph.invocations["inner_source"].literals == {"n": 2}
    last = graph.invocations["add_2"]
    assert {name: h.invocation_id for name, h in last.inputs.items()} == {
        "pair.0": "add",
        "pair.1": "inner_add",
    }
    assert last.input_groups == {"pair": 2}


def test_an_inner_pipeline_uses_its_configured_parameters() -> None:
    configured = inner.with_options(parameters={"n": 5})

    @pipeline
    def outer():
        configured()

    assert outer.trace().invocations["source"].literals == {"n": 5}


def test_a_pipeline_that_calls_itself_is_refused() -> None:
    @pipeline
    def looping():
        looping()

    with pytest.raises(PipelineDefinitionError, match="calls itself through looping -> looping"):
        looping.trace()


def test_a_tuple_of_handles_runs_as_one_tuple_input() -> None:
    @pipeline
    def passing_pairs():
        add(source(3))

    run = passing_pairs()
    assert run.steps["add"].output.load() == 7
    again = passing_pairs()
    assert again.steps["add"].status == "cached"
    assert sorted(again.steps["add"].inputs) == ["pair.0", "pair.1"]
