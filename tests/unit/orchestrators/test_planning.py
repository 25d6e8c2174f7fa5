"""Planning: static decisions, parameters versus external inputs, errors before anything runs."""

from __future__ import annotations

import numpy as np
import pytest

from stepstone import pipeline, step
from stepstone.cache.manifest import Decision
from stepstone.exceptions import PipelineDefinitionError, StepDefinitionError
from stepstone.orchestrators.planning import plan_run


@step
def scale(values: np.ndarray, factor: float = 2.0) -> np.ndarray:
    return values * factor


@step(enable_cache=False)
def report(values: np.ndarray) -> str:
    return str(values)


@pipeline
def scaling(factor: float = 2.0):
    report(scale(np.arange(3.0), factor=factor))


def test_a_plan_splits_literals_and_keeps_the_graph_order() -> None:
    graph = scaling.trace(3.0)
    plan = plan_run(scaling, graph, {"factor": 3.0}, cache_on=True)
    assert list(plan.steps) == list(graph.order) == ["scale", "report"]
    assert plan.pipeline_name == "scaling" and plan.parameters == {"factor": 3.0}
    planned = plan.steps["scale"]
    assert planned.parameters == {"factor": 3.0} and set(planned.parameter_digests) == {"factor"}
    assert list(planned.external_inputs) == ["values"]  # an array is stored, not hashed
    assert planned.static_decision is None and planned.enable_cache
    assert plan.steps["report"].static_decision is Decision.DISABLED


def test_static_decisions_follow_the_step_the_pipeline_and_the_process() -> None:
    graph = scaling.trace()
    off = plan_run(scaling, graph, {}, cache_on=False).steps
    assert off["scale"].static_decision is Decision.CACHE_OFF and not off["scale"].enable_cache
    assert off["report"].static_decision is Decision.DISABLED  # the step's own setting wins
    refreshing = scaling.with_options(refresh=["scale"])
    planned = plan_run(refreshing, refreshing.trace(), {}, cache_on=True).steps["scale"]
    assert planned.static_decision is Decision.REFRESH and planned.enable_cache


def test_refreshing_an_unknown_step_fails_with_a_suggestion() -> None:
    refreshing = scaling.with_options(refresh=["scael"])
    with pytest.raises(PipelineDefinitionError, match="Did you mean 'scale'"):
        plan_run(refreshing, refreshing.trace(), {}, cache_on=True)


@step
def takes(thing: object) -> int:
    return 1


@pipeline
def passing_a_lock():
    import threading

    takes(threading.Lock())


def test_a_literal_that_is_neither_hashable_nor_storable_is_a_definition_error() -> None:
    with pytest.raises(StepDefinitionError, match="parameter 'thing' = <unlocked"):
        plan_run(passing_a_lock, passing_a_lock.trace(), {}, cache_on=True)
