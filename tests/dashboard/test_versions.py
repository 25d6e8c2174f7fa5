"""Artifact versions and logged metadata on the dashboard's pages and in its API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi.testclient import TestClient

from stepstone import ArtifactConfig, Client, log_metadata, pipeline, save_artifact, step
from stepstone.dashboard import create_app
from stepstone.models import PipelineRun


@step
def produce(
    rows: int = 3,
) -> Annotated[list, ArtifactConfig(name="table", tags=["raw"], run_metadata={"source": "csv"})]:
    log_metadata(metadata={"rows": rows})
    return list(range(rows))


@step
def count(table: list) -> int:
    return len(table)


@pipeline
def tabulate(rows: int = 3) -> None:
    count(produce(rows))


@pytest.fixture
def recorded() -> tuple[PipelineRun, PipelineRun]:
    first = tabulate(rows=3)
    second = tabulate(rows=4)
    log_metadata(metadata={"reviewed": True}, run_id_name_or_prefix=second.id)
    return first, second


@pytest.fixture
def api() -> Iterator[TestClient]:
    with TestClient(create_app(Client())) as client:
        yield client


def test_run_api_names_each_output_version(
    api: TestClient, recorded: tuple[PipelineRun, PipelineRun]
) -> None:
    _, second = recorded
    body = api.get(f"/api/v1/runs/{second.id}").json()
    steps = {step["name"]: step for step in body["steps"]}
    (output,) = steps["produce"]["outputs"]
    assert (output["artifact_name"], output["version"]) == ("table", "2")
    (given,) = steps["count"]["inputs"]
    assert (given["artifact_name"], given["version"]) == ("table", "2")
    assert steps["produce"]["run_metadata"] == {"rows": 4}
    assert steps["produce"]["output_tags"] == {"table": ["raw"]}
    assert body["run"]["run_metadata"]["reviewed"] is True


def test_run_and_step_pages_show_metadata_and_versions(
    api: TestClient, recorded: tuple[PipelineRun, PipelineRun]
) -> None:
    _, second = recorded
    run_page = api.get(f"/runs/{second.id}").text
    assert "<h2>Metadata</h2>" in run_page and "produce::rows" in run_page
    step_page = api.get(f"/runs/{second.id}/steps/produce").text
    assert 'data-version="2"' in step_page
    assert "<h3>Metadata</h3>" in step_page and "source" in step_page
    assert '<span class="tag">raw</span>' in step_page


def test_artifact_page_lists_the_versions_of_its_name(
    api: TestClient, recorded: tuple[PipelineRun, PipelineRun]
) -> None:
    first, second = recorded
    newest = second.steps["produce"].output
    body = api.get(f"/api/v1/artifacts/{newest.id}").json()
    assert body["version"] == "2" and body["tags"] == ["raw"]
    assert body["artifact_version"]["version"] == "2"
    assert body["run_metadata"] == {"source": "csv"}
    assert [v["version"] for v in body["versions"]] == ["2", "1"]
    page = api.get(f"/artifacts/{first.steps['produce'].output.id}").text
    assert "Versions of table" in page
    assert f'href="/artifacts/{newest.id}"' in page


def test_a_saved_version_has_a_page_without_a_producer(api: TestClient) -> None:
    saved = save_artifact({"a": 1}, name="settings", user_metadata={"by": "hand"})
    body = api.get(f"/api/v1/artifacts/{saved.id}").json()
    assert body["producer"] is None
    assert body["artifact_name"] == body["artifact_version"]["artifact_name"] == "settings"
    assert body["run_metadata"] == {"by": "hand"}
