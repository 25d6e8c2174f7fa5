"""The caching example end to end: three runs on a real home, judged by what was recorded.

Run 1 executes everything; run 2 changes the trainer's learning rate, so only the trainer
and the evaluator execute; run 3 repeats run 1's configuration, so nothing executes. The
assertions read statuses and ``cached_from`` links, never timings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from stepstone.examples import run_example

pytestmark = pytest.mark.slow

STEPS = ["importer", "normalizer", "trainer", "evaluator"]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("caching-home")


@pytest.fixture(scope="module")
def demo(demo_home: Path):  # type: ignore[no-untyped-def]
    """One run of the example for all the tests here (it trains three models).

    Module-scoped, so it sets up before each test's own home (root conftest) and keeps
    its runs in ``demo_home``.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEPSTONE_HOME", str(demo_home))
        try:
            yield run_example("caching")
        finally:
            from stepstone.stores import close_all_stores

            close_all_stores()


def statuses(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name: step_run.status for name, step_run in run.steps.items()}


def test_three_runs_recorded_in_order(demo) -> None:  # type: ignore[no-untyped-def]
    assert len(demo.runs) == 3
    assert all(run.status == "completed" for run in demo.runs)
    assert all(list(run.steps) == STEPS for run in demo.runs)
    assert demo.runs[0].parameters == {
        "epochs": 10,
        "lr": 0.001,
        "framework": "sklearn",
        "data": "digits",
    }
    assert demo.runs[1].parameters["lr"] != demo.runs[0].parameters["lr"]
    assert demo.runs[2].parameters == demo.runs[0].parameters


def test_first_run_executes_every_step(demo) -> None:  # type: ignore[no-untyped-def]
    first = demo.runs[0]
    assert statuses(first) == dict.fromkeys(STEPS, "completed")
    assert all(step_run.cached_from is None for step_run in first.steps.values())


def test_second_run_reuses_importer_and_normalizer(demo) -> None:  # type: ignore[no-untyped-def]
    first, second = demo.runs[0], demo.runs[1]
    assert statuses(second) == {
        "importer": "cached",
        "normalizer": "cached",
        "trainer": "completed",
        "evaluator": "completed",
    }
    for name in ("importer", "normalizer"):
        assert second.steps[name].cached_from == first.steps[name].id
    assert second.steps["trainer"].parameters == {"epochs": 10, "lr": 0.003}


def test_third_run_is_entirely_cached_from_the_first(demo) -> None:  # type: ignore[no-untyped-def]
    first, third = demo.runs[0], demo.runs[2]
    assert statuses(third) == dict.fromkeys(STEPS, "cached")
    for name in STEPS:
        assert third.steps[name].cached_from == first.steps[name].id
        assert third.steps[name].cache_key == first.steps[name].cache_key


def test_the_model_is_accurate(demo) -> None:  # type: ignore[no-untyped-def]
    assert len(demo.accuracies) == 3
    assert all(accuracy > 0.8 for accuracy in demo.accuracies)
    assert demo.accuracies[2] == demo.accuracies[0]  # the same stored result, read back


def test_recorded_runs_are_readable_by_the_client(demo, demo_home: Path) -> None:  # type: ignore[no-untyped-def]
    from stepstone import Client

    client = Client(demo_home)
    assert client.count_runs("mnist_pipeline") == 3
    latest = client.last_run("mnist_pipeline")
    assert latest.id == demo.runs[2].id
    assert latest.steps["evaluator"].output.load() == demo.accuracies[0]


def test_summary_table_has_a_column_per_run_and_the_speed_up(demo) -> None:  # type: ignore[no-untyped-def]
    text = demo.table_text()
    assert "speed-up" in text
    for name in STEPS:
        assert name in text
    for number in (1, 2, 3):
        assert f"run {number}" in text
    assert "cached" in text
    assert "whole run" in text
