"""A handle kept from another trace is refused while tracing, naming both pipelines."""

from __future__ import annotations

from typing import Any

import pytest

from stepstone import pipeline, step
from stepstone.exceptions import StepDefinitionError

KEPT: dict[str, Any] = {}


@step
def a() -> int:
    return 3


@step
def other() -> str:
    return "other"


@step
def show(x: Any) -> str:
    return repr(x)


@pipeline
def first() -> None:
    KEPT["handle"] = a()


@pipeline
def second() -> None:
    other(id="a")  # an unrelated step that happens to have the same id
    show(KEPT["handle"])


@pipeline
def waits() -> None:
    a()
    show(1, after=[KEPT["handle"]])


@pipeline
def again() -> None:
    a()
    show(KEPT["handle"])


def test_handle_from_another_pipeline_is_refused_naming_both() -> None:
    first.trace()
    with pytest.raises(StepDefinitionError) as info:
        second()
    message = str(info.value)
    assert "pipeline 'first'" in message and "pipeline 'second'" in message
    assert "<output 'output' of step 'a'>" in message


def test_handle_in_after_is_refused_too() -> None:
    first.trace()
    with pytest.raises(StepDefinitionError, match=r"after= is .* pipeline 'first'"):
        waits.trace()


def test_handle_from_an_earlier_trace_of_the_same_pipeline_is_refused() -> None:
    first.trace()
    with pytest.raises(StepDefinitionError, match=r"an earlier trace of pipeline 'first'"):
        _traced_first_with(KEPT["handle"])
    with pytest.raises(StepDefinitionError, match="pipeline 'first'"):
        again.trace()


def _traced_first_with(handle: Any) -> None:
    @pipeline(name="first")
    def first_again() -> None:
        a()
        show(handle)

    first_again.trace()
