"""Declared output types: what is checked, what is not, and the error naming all of it."""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Protocol, TypedDict, TypeVar, Union

import numpy as np
import pytest

from stepstone import Client, pipeline, step
from stepstone.exceptions import StepExecutionError
from stepstone.execution.declared import type_mismatch

T = TypeVar("T")


class Shape(Protocol):
    def area(self) -> float: ...


class Row(TypedDict):
    a: int


@pytest.mark.parametrize(
    ("value", "declared"),
    [
        (1, int),
        (True, int),
        (np.int64(3), int),
        (1, float),
        (np.float32(1), float),
        (2.5, complex),
        ("x", str),
        (np.zeros(2), np.ndarray),
        ([1, "not an int"], list[int]),  # the container only
        ({"a": 1}, Mapping[str, int]),
        ((1, 2), Sequence[int]),
        (collections.OrderedDict(), dict),
        (None, Optional[int]),  # noqa: UP045 - the spelling under test
        (3, int | None),
        ("x", Union[int, str]),  # noqa: UP007 - the spelling under test
        (2, Literal[1, 2]),
        (None, None),
        ("x", Annotated[str, "name"]),
        (np.zeros(1), "np.ndarray"),  # an unresolved annotation, by qualname
    ],
)
def test_values_of_their_declared_type_pass(value: object, declared: object) -> None:
    assert type_mismatch(value, declared) is None


@pytest.mark.parametrize(
    ("value", "declared", "shown"),
    [
        ("3", int, "int"),
        ([1.0], np.ndarray, "numpy.ndarray"),
        ("1.5", float, "float"),
        ((1,), list[int], "list[int]"),
        ("x", Optional[int], "Optional[int]"),  # noqa: UP045 - the spelling under test
        (1.5, int | str, "int | str"),
        (3, Literal[1, 2], "Literal[1, 2]"),
        (0, None, "None"),
        ([1.0], "np.ndarray", "np.ndarray"),
    ],
)
def test_values_of_another_type_are_named_with_the_declaration(
    value: object, declared: object, shown: str
) -> None:
    assert type_mismatch(value, declared) == shown


@pytest.mark.parametrize("declared", [Any, T, Shape, Row, "list[int]", "A | None"])
def test_declarations_isinstance_cannot_answer_are_not_checked(declared: object) -> None:
    assert type_mismatch(object(), declared) is None


@step
def count() -> int:
    return "3"  # type: ignore[return-value]


@step
def matrix() -> np.ndarray:
    return [[1.0, 2.0]]  # type: ignore[return-value]


@pipeline
def counting() -> None:
    count()


@pipeline
def arrays() -> None:
    matrix()


@pytest.mark.parametrize(
    ("definition", "name", "declared", "actual"),
    [(counting, "count", "int", "str"), (arrays, "matrix", "numpy.ndarray", "list")],
)
def test_a_step_returning_another_type_fails_before_anything_is_stored(
    definition: Any, name: str, declared: str, actual: str
) -> None:
    with pytest.raises(StepExecutionError) as info:
        definition()
    message = str(info.value)
    assert f"step '{name}' output 'output' is declared as {declared}" in message
    assert f"returned a {actual} (" in message
    (run,) = Client().list_runs()
    assert run.steps[name].status == "failed" and run.steps[name].outputs == {}
    assert list(Path(Client().settings.artifact_root).glob("??/*")) == []
