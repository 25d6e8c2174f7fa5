"""``Client``: finding runs the ways a user names them, and reading back what they recorded.

The stores are an in-memory SQLite database and an fsspec memory artifact root, so nothing
touches the disk. Runs for lookup are written as records with chosen ids and times; runs
for comparing, sources and loading are real runs of small pipelines.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stepstone import pipeline, step
from stepstone.client import Client
from stepstone.config import Settings
from stepstone.exceptions import (
    AmbiguousRunError,
    ArtifactNotFoundError,
    PipelineNotFoundError,
    RunNotFoundError,
    StepNotFoundError,
)
from stepstone.metadata.records import PipelineRunRecord, RunStatus
from stepstone.models import PipelineRun
from stepstone.orchestrators.driver import run_pipeline
from stepstone.read_model.comparison import Verdict
from stepstone.stores import Stores, get_stores

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    settings = Settings(
        home=tmp_path,
        metadata_url="sqlite://",
        artifact_root=f"memory://client-{uuid.uuid4().hex}",
    )
    opened = get_stores(settings)  # what Client(settings=...) opens too
    yield opened
    opened.close()


@pytest.fixture
def client(stores: Stores) -> Client:
    return Client(settings=stores.settings)


def _record(
    stores: Stores,
    run_id: str,
    name: str,
    pipeline_name: str,
    minute: int,
    steps: tuple[str, ...] = (),
) -> PipelineRunRecord:
    started = T0 + timedelta(minutes=minute)
    record = PipelineRunRecord(
        id=run_id,
        name=name,
        pipeline_name=pipeline_name,
        status=RunStatus.COMPLETED,
        started_at=started,
        ended_at=started + timedelta(seconds=5),
        graph={"steps": [{"name": name} for name in steps]},
    )
    stores.metadata.create_run(record)
    return record


@pytest.fixture
def recorded(stores: Stores) -> dict[str, PipelineRunRecord]:
    """Three runs of two pipelines; two ids share the prefix ``abc1``."""
    return {
        "first": _record(stores, "abc1" + "0" * 28, "train-first", "train", 0, ("load", "fit")),
        "second": _record(stores, "abc1" + "1" * 28, "train-second", "train", 1, ("load",)),
        "report": _record(stores, "f00d" + "2" * 28, "report-only", "report", 2, ("render",)),
    }


# -- finding a run ----------------------------------------------------------------------------


def test_a_run_is_found_by_id_unique_prefix_or_name(
    client: Client, recorded: dict[str, PipelineRunRecord]
) -> None:
    first = recorded["first"]
    assert client.get_run(first.id).id == first.id
    assert client.get_run("abc10").id == first.id  # unique among the abc1… ids
    assert client.get_run("train-first").id == first.id
    assert client.get_run("f00d").name == "report-only"


def test_a_prefix_of_several_runs_is_ambiguous_and_lists_them(
    client: Client, recorded: dict[str, PipelineRunRecord]
) -> None:
    with pytest.raises(AmbiguousRunError, match=r"'abc1' is ambiguous: it matches 2 runs") as info:
        client.get_run("abc1")
    listed = "\n".join(info.value.matches)
    assert "train-first" in listed and "train-second" in listed
    assert isinstance(info.value, RunNotFoundError)  # "no such run" handlers still catch it


def test_an_unknown_run_suggests_the_closest_names(
    client: Client, recorded: dict[str, PipelineRunRecord]
) -> None:
    with pytest.raises(RunNotFoundError, match=r"Did you mean 'train-first'") as info:
        client.get_run("train-frist")
    assert info.value.query == "train-frist"


def test_latest_is_the_newest_run_narrowed_by_pipeline_and_step(
    client: Client, recorded: dict[str, PipelineRunRecord]
) -> None:
    assert client.get_run("latest").name == "report-only"
    assert client.get_run("latest", pipeline="train").name == "train-second"
    # the newest run that has a 'fit' step, though two runs started after it
    assert client.get_run("latest", step="fit").name == "train-first"
    assert client.last_run("train").name == "train-second"
    # no run has the step: the newest run, whose own step names then answer the typo
    assert client.get_run("latest", step="fitt").name == "report-only"


def test_latest_without_runs_or_of_an_unknown_pipeline_says_why(
    client: Client, stores: Stores
) -> None:
    with pytest.raises(RunNotFoundError, match="no runs are recorded yet; run a pipeline first"):
        client.get_run("latest")
    _record(stores, uuid.uuid4().hex, "train-1", "train", 0)
    with pytest.raises(RunNotFoundError, match=r"no runs of pipeline 'trian'.*'train'"):
        client.get_run("latest", pipeline="trian")
    with pytest.raises(PipelineNotFoundError):
        client.get_pipeline("trian")


def test_runs_page_like_zenml_pages(client: Client, recorded: dict[str, PipelineRunRecord]) -> None:
    page = client.list_pipeline_runs(pipeline_name="train", size=1, page=2)
    assert (page.total, page.index, [run.name for run in page]) == (2, 2, ["train-first"])
    assert [run.name for run in client.list_runs()] == [
        "report-only",
        "train-second",
        "train-first",
    ]
    assert client.count_runs("train") == 2
    assert client.pipeline_names() == ["report", "train"]


# -- what real runs recorded ------------------------------------------------------------------


@step
def numbers(n: int) -> list[int]:
    return list(range(n))


@step
def scaled(values: list[int], factor: int) -> list[int]:
    return [value * factor for value in values]


@pipeline
def scaling(n: int = 3, factor: int = 2) -> None:
    scaled(numbers(n), factor=factor)


@pytest.fixture
def two_runs(stores: Stores) -> tuple[PipelineRun, PipelineRun]:
    """A first run, and a second whose ``numbers`` is cached and ``scaled`` runs again."""
    first = run_pipeline(scaling, (), {"factor": 2}, listeners=[], stores=stores)
    second = run_pipeline(scaling, (), {"factor": 10}, listeners=[], stores=stores)
    return first, second


def test_a_step_is_found_by_its_invocation_name(
    client: Client, two_runs: tuple[PipelineRun, PipelineRun]
) -> None:
    first, _ = two_runs
    assert client.get_step(first.id, "scaled").definition_name == "scaled"
    with pytest.raises(StepNotFoundError, match=r"has no step 'scaeld'\. Did you mean 'scaled'"):
        client.get_step(first.name, "scaeld")


def test_loading_reads_back_the_stored_outputs(
    client: Client, two_runs: tuple[PipelineRun, PipelineRun]
) -> None:
    _, second = two_runs
    run = client.get_run(second.name)
    assert run.steps["scaled"].output.load() == [0, 10, 20]
    assert run.steps["numbers"].output.load() == [0, 1, 2]  # from the cache, same bytes
    assert client.get_artifact(run.steps["scaled"].output.id[:10]).load() == [0, 10, 20]
    with pytest.raises(ArtifactNotFoundError, match="No single artifact matches 'zzzz'"):
        client.get_artifact("zzzz")


def test_source_of_a_cached_step_is_the_run_that_executed_it(
    client: Client, two_runs: tuple[PipelineRun, PipelineRun]
) -> None:
    first, second = two_runs
    cached = client.get_step(second.id, "numbers")
    source = client.source_of(cached)
    assert source is not None
    assert (source.run_id, source.run_name, source.step) == (first.id, first.name, "numbers")
    assert source.step_run_id == first.steps["numbers"].id
    assert client.source_of(client.get_step(second.id, "scaled")) is None  # it executed


def test_the_producer_of_a_reused_output_is_its_first_execution(
    client: Client, two_runs: tuple[PipelineRun, PipelineRun]
) -> None:
    first, second = two_runs
    reused = client.get_step(second.id, "numbers").output
    producers = client.producers_of([reused])
    assert producers[reused.id].run_name == first.name
    assert producers[reused.id].invocation_name == "numbers"


def test_compare_gives_a_verdict_per_step_and_the_changed_parameters(
    client: Client, two_runs: tuple[PipelineRun, PipelineRun]
) -> None:
    first, second = two_runs
    comparison = client.compare(first.name, second.id)
    verdicts = {s.name: s.verdict for s in comparison.steps}
    assert verdicts == {"numbers": Verdict.SAME, "scaled": Verdict.RERAN}
    changed = {p.name: (p.a, p.b) for p in comparison.parameters if p.changed}
    assert changed == {"factor": (2, 10)}
    rerun = next(s for s in comparison.steps if s.name == "scaled")
    assert rerun.outputs_changed and rerun.key_changed
    assert [r.kind for r in rerun.reasons] == ["parameter"]
    assert comparison.summary["same"] == comparison.summary["re-ran"] == 1


def test_explain_compares_with_the_run_asked_for(
    client: Client, two_runs: tuple[PipelineRun, PipelineRun]
) -> None:
    first, second = two_runs
    explained = client.explain(second.id, "scaled", against=first.id)
    assert explained.invocation_name == "scaled"
    assert explained.against_run == first.name
    assert "factor" in str(explained)
