"""Run history through the Client under ZenML's names: pipelines, runs, pages, errors."""

from __future__ import annotations

import pytest

from stepstone import StepExecutionError, pipeline, step
from stepstone.client import Client
from stepstone.exceptions import PipelineNotFoundError

FAIL = {"now": False}


@step(enable_cache=False)
def maybe_fail(value: int) -> int:
    if FAIL["now"]:
        raise RuntimeError("asked to fail")
    return value


@pipeline
def history(value: int = 1):
    maybe_fail(value)


def test_last_successful_run_skips_a_failed_run_and_pages_count_all_runs() -> None:
    good = history(1)
    FAIL["now"] = True
    try:
        with pytest.raises(StepExecutionError):
            history(2)
    finally:
        FAIL["now"] = False
    recorded = Client().get_pipeline("history")
    assert recorded.num_runs == 2
    assert recorded.last_run.status == "failed"
    assert recorded.last_successful_run.id == good.id == history.last_successful_run.id
    assert [run.status for run in recorded.runs] == ["failed", "completed"]
    second_page = Client().list_pipeline_runs(pipeline_name="history", size=1, page=2)
    assert [run.id for run in second_page.items] == [good.id]
    assert (second_page.total, second_page.index) == (2, 2)
    assert good.pipeline.last_run.status == "failed"


def test_unknown_pipelines_are_named_with_a_suggestion() -> None:
    history(1)
    with pytest.raises(PipelineNotFoundError, match=r"'histroy'.*Did you mean 'history'"):
        Client().get_pipeline("histroy")

    @pipeline
    def never_ran():
        maybe_fail(1)

    with pytest.raises(PipelineNotFoundError, match="No run of pipeline 'never_ran'"):
        _ = never_ran.last_run


def test_an_artifact_reads_as_a_list_of_one() -> None:
    artifact = history(3).steps["maybe_fail"].outputs["output"]
    assert [item.load() for item in artifact] == [3] and len(artifact) == 1
    assert artifact[-1] is artifact
    with pytest.raises(IndexError, match="index 0, not 1"):
        artifact[1]
