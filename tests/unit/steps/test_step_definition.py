"""Definitions: what @step reads from a function, and the errors it raises before anything runs."""

from __future__ import annotations

import typing
from typing import Annotated

import pytest

from stepstone import StepDefinitionError, step


def test_a_step_is_its_function_outside_a_pipeline() -> None:
    @step
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert add(1) == 3
    assert add.name == "add"
    assert add.signature.output_names == ("output",)


def test_options_are_kept_and_with_options_returns_a_copy() -> None:
    @step(name="loader", enable_cache=False, cache_version=3)
    def load() -> int:
        return 1

    assert (load.name, load.enable_cache, load.cache_version) == ("loader", False, 3)
    cached = load.with_options(enable_cache=True)
    assert cached.enable_cache is True and load.enable_cache is False
    with pytest.raises(StepDefinitionError, match="unknown option 'enable_cash'"):
        load.with_options(enable_cash=True)


def test_several_outputs_are_named_by_annotated() -> None:
    @step
    def split() -> tuple[Annotated[list, "train"], Annotated[list, "test"]]:
        return [1], [2]

    @step
    def split_old_style() -> typing.Tuple[Annotated[int, "a"], Annotated[int, "b"]]:  # noqa: UP006
        return 1, 2

    assert split.signature.output_names == ("train", "test")
    assert split_old_style.signature.output_names == ("a", "b")


def test_a_single_output_can_be_named() -> None:
    @step
    def model() -> Annotated[dict, "model"]:
        return {}

    assert model.signature.output_names == ("model",)


def test_none_return_means_no_outputs_and_tuple_ellipsis_is_one_output() -> None:
    @step
    def side_effect() -> None:
        return None

    @step
    def many() -> tuple[int, ...]:
        return (1, 2, 3)

    assert side_effect.signature.output_names == ()
    assert many.signature.output_names == ("output",)


def test_unnamed_tuple_members_are_numbered_when_a_tuple_literal_is_returned() -> None:
    @step
    def pair() -> tuple[int, int]:
        return 1, 2

    @step
    def mixed() -> tuple[Annotated[int, "count"], str]:
        return 1, "x"

    assert pair.signature.output_names == ("output_0", "output_1")
    assert mixed.signature.output_names == ("count", "output_1")


def test_an_unnamed_tuple_returned_as_a_variable_is_one_output() -> None:
    @step
    def bounds() -> tuple[int, int]:
        found = (1, 2)
        return found

    assert bounds.signature.output_names == ("output",)


def test_an_unnamed_tuple_whose_source_cannot_be_read_is_refused() -> None:
    namespace: dict[str, object] = {}
    exec("def pair() -> tuple[int, int]:\n    return 1, 2\n", namespace)  # no source file
    with pytest.raises(StepDefinitionError, match=r"Step 'pair': output 0 \(int\) has no name"):
        step(namespace["pair"])  # type: ignore[call-overload]


def test_duplicate_output_names_are_refused() -> None:
    with pytest.raises(StepDefinitionError, match="output name 'x' is used twice"):

        @step
        def twice() -> tuple[Annotated[int, "x"], Annotated[int, "x"]]:
            return 1, 2


def test_returning_the_wrong_number_of_values_is_caught_at_decoration() -> None:
    with pytest.raises(StepDefinitionError, match="returns 3 values but declares 2 outputs"):

        @step
        def wrong() -> tuple[Annotated[int, "a"], Annotated[int, "b"]]:
            return 1, 2, 3


def test_variadic_and_reserved_arguments_are_refused() -> None:
    with pytest.raises(StepDefinitionError, match="'args' is variadic"):

        @step
        def variadic(*args: int) -> int:
            return 0

    with pytest.raises(StepDefinitionError, match="argument name 'id' is reserved"):

        @step
        def reserved(id: int) -> int:
            return id
