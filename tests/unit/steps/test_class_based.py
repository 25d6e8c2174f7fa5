"""The class-based API's step side: configs, ``Output``, and when a call makes an instance."""

from __future__ import annotations

import numpy as np
import pytest

from stepstone import StepDefinitionError
from stepstone.steps import BaseParameters, BaseStepConfig, Output, StepContext, StepInstance, step
from stepstone.steps.class_based import STEP_CONTEXT


class TrainerConfig(BaseStepConfig):
    epochs: int = 1
    lr: float = 0.001


class NeedsRate(BaseStepConfig):
    rate: float


@step
def split() -> Output(train=np.ndarray, test=np.ndarray):  # type: ignore[valid-type]
    return np.zeros(2), np.ones(2)


@step
def trainer(config: TrainerConfig, data: np.ndarray) -> float:
    return float(data.sum()) * config.epochs


@step
def plain(data: np.ndarray) -> float:
    return float(data.sum())


@step
def constant() -> int:
    return 3


def test_output_declares_named_outputs_in_order() -> None:
    assert split.signature.output_names == ("train", "test")
    assert split.signature.outputs[0].annotation is np.ndarray


def test_a_single_output_is_named_and_returned_as_the_value() -> None:
    @step
    def one() -> Output(model=float):  # type: ignore[valid-type]
        return 1.0

    assert one.signature.output_names == ("model",)
    assert not one.signature.returns_tuple


def test_output_needs_a_name() -> None:
    with pytest.raises(TypeError, match="at least one name=Type"):
        Output()


def test_a_config_call_makes_an_instance_with_that_config() -> None:
    instance = trainer(config=TrainerConfig(epochs=3))
    assert isinstance(instance, StepInstance)
    assert instance.config == TrainerConfig(epochs=3)
    assert trainer(TrainerConfig(epochs=2)).config == TrainerConfig(epochs=2)


def test_an_instance_without_a_config_gets_the_defaults() -> None:
    assert trainer().config == TrainerConfig()


def test_a_config_without_defaults_must_be_given() -> None:
    @step
    def rated(config: NeedsRate) -> float:
        return config.rate

    with pytest.raises(StepDefinitionError, match=r"NeedsRate has no default for rate"):
        rated()
    assert rated(config=NeedsRate(rate=0.5)).config.rate == 0.5


def test_the_wrong_config_class_is_refused_by_name() -> None:
    @step
    def rated(config: NeedsRate) -> float:
        return config.rate

    with pytest.raises(StepDefinitionError, match="'config' takes a NeedsRate, not TrainerConfig"):
        rated(config=TrainerConfig())


def test_a_call_that_binds_the_function_still_runs_it() -> None:
    assert trainer(TrainerConfig(epochs=2), np.ones(3)) == 6.0
    assert plain(np.ones(2)) == 2.0
    assert constant() == 3  # a plain step without inputs: the function runs


def test_a_call_that_cannot_run_the_function_makes_an_instance() -> None:
    assert isinstance(plain(), StepInstance)
    assert isinstance(split(), StepInstance)  # declared with Output: always an instance


def test_entrypoint_calls_the_function() -> None:
    assert split.entrypoint()[1].tolist() == [1.0, 1.0]
    assert trainer(config=TrainerConfig(epochs=2)).entrypoint(data=np.ones(1)) == 2.0


def test_an_instance_called_outside_a_pipeline_says_how_to_use_it() -> None:
    with pytest.raises(StepDefinitionError, match=r"runs inside a pipeline.*entrypoint"):
        trainer()(data=np.ones(1))


def test_a_context_argument_is_filled_by_the_placeholder() -> None:
    @step
    def with_context(context: StepContext, x: int) -> int:
        return x

    assert with_context.class_based.context_argument == "context"
    assert with_context.class_based.filled("with_context", {"x": 1}) == {
        "x": 1,
        "context": STEP_CONTEXT,
    }


def test_two_config_arguments_are_refused() -> None:
    with pytest.raises(StepDefinitionError, match="all config arguments"):

        @step
        def twice(a: TrainerConfig, b: TrainerConfig) -> int:
            return 1


def test_base_parameters_is_the_same_class() -> None:
    assert BaseParameters is BaseStepConfig


def test_unknown_config_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="epoch"):
        TrainerConfig(epoch=2)  # type: ignore[call-arg]
