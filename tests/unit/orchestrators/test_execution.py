"""``execute_step``: the one code path that touches user values, against a memory store."""

from __future__ import annotations

from stepstone.execution import InputRef, StepTask, execute_step
from stepstone.stores import Stores


def _double(x: int) -> int:
    print("doubling", x)
    return 2 * x


def _fails(x: int) -> int:
    raise RuntimeError(f"cannot take {x}")


def _task(func, inputs: dict[str, InputRef] | None = None, **parameters) -> StepTask:
    return StepTask("run", "step", func, parameters, inputs or {}, ("output",))


def test_a_step_runs_its_outputs_are_saved_and_its_print_is_captured(stores: Stores) -> None:
    result = execute_step(_task(_double, x=21), stores.artifacts)
    assert result.succeeded and result.unusable_input is None
    saved = result.outputs["output"]
    assert stores.artifacts.load(saved.uri, saved.materializer, saved.data_type) == 42
    assert "doubling 21" in result.logs


def test_a_user_error_is_returned_not_raised(stores: Stores) -> None:
    result = execute_step(_task(_fails, x=3), stores.artifacts)
    assert not result.succeeded and result.outputs == {}
    assert isinstance(result.error, RuntimeError) and "cannot take 3" in str(result.error)


def test_an_input_missing_from_the_store_is_named_and_the_step_never_runs(
    stores: Stores,
) -> None:
    stored = stores.artifacts.save(5)
    gone = InputRef(stored.uri + "-gone", stored.materializer, stored.data_type, "0" * 64)
    result = execute_step(_task(_double, {"x": gone}), stores.artifacts)
    assert result.unusable_input == "x"
    assert "doubling" not in result.logs
