"""The CLI's ``--json`` documents are the dashboard API's payloads, less the page links."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stepstone.cli.app import app

from .conftest import DemoRuns

LINKS = {"href", "producer_href", "producer_name", "upstream"}
"""What only the dashboard adds: links to its pages and the run's structure."""


def without_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_links(v) for k, v in value.items() if k not in LINKS}
    if isinstance(value, list):
        return [without_links(item) for item in value]
    return value


@pytest.fixture
def cli(runs: DemoRuns, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STEPSTONE_HOME", str(runs.home))

    def run(*args: str) -> Any:
        result = CliRunner().invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def test_runs_list_is_the_api_runs_list(api: TestClient, cli: Any) -> None:
    listed = cli("runs", "list")
    served = api.get("/api/v1/runs").json()
    assert listed["total"] == served["total"]
    assert listed["runs"] == without_links(served["runs"])


def test_a_run_with_its_steps_is_the_api_run(api: TestClient, cli: Any, runs: DemoRuns) -> None:
    for run in (runs.first, runs.second, runs.failed_run_id):
        run_id = run if isinstance(run, str) else run.id
        shown = cli("runs", "show", run_id)
        served = api.get(f"/api/v1/runs/{run_id}").json()
        steps = shown.pop("steps")
        assert shown == without_links(served["run"])
        assert steps == without_links(served["steps"])
    # A cached step names the step run, step and run that executed it, the same in both.
    second = cli("runs", "show", runs.second.id)
    importer = next(step for step in second["steps"] if step["name"] == "importer")
    assert importer["cached_from"]["run_name"] == runs.first.name
    assert importer["cached_from"]["step"] == "importer"


def test_a_comparison_is_the_api_comparison(api: TestClient, cli: Any, runs: DemoRuns) -> None:
    for a, b in ((runs.first, runs.second), (runs.second, runs.third), (runs.first, runs.evil)):
        compared = cli("runs", "compare", a.id, b.id)
        served = api.get("/api/v1/compare", params={"a": a.id, "b": b.id}).json()
        assert compared == served
    verdicts = {
        s["name"]: s["verdict"]
        for s in cli("runs", "compare", runs.second.id, runs.third.id)["steps"]
    }
    # The third run reuses the first run's trainer: changed since B, computed before.
    assert verdicts["trainer"] == "cached"


def _link_key(link: dict[str, Any]) -> tuple[str, str, str]:
    return (link["role"], link["step_run_id"], link["name"])


def test_an_artifact_and_its_lineage_are_the_api_artifact(
    api: TestClient, cli: Any, runs: DemoRuns
) -> None:
    # The first run's importer output: produced there, reused by the later runs, consumed.
    artifact = runs.first.steps["importer"].outputs["X_train"]
    shown = cli("artifacts", "show", artifact.id)
    served = api.get(f"/api/v1/artifacts/{artifact.id}").json()
    for key in ("id", "content_hash", "uri", "data_type", "materializer", "size", "summary"):
        assert shown[key] == served[key], key
    assert shown["producer"] == {
        key: served["producer"][key]
        for key in ("step_run_id", "invocation_name", "run_id", "run_name")
    }
    links = [without_links(link) for link in shown["lineage"]]
    page_links = [served["producer"], *served["reused_by"], *served["consumers"]]
    served_links = [
        {k: v for k, v in link.items() if k not in {"href", "run_href"}} for link in page_links
    ]
    assert sorted(links, key=_link_key) == sorted(served_links, key=_link_key)
    assert {link["role"] for link in links} == {"producer", "reused", "consumer"}


def test_an_explanation_is_the_step_pages_explanation(
    api: TestClient, cli: Any, runs: DemoRuns
) -> None:
    for run, step in ((runs.second, "trainer"), (runs.second, "importer")):
        explained = cli("explain", run.id, step)
        page = api.get(f"/api/v1/runs/{run.id}/steps/{step}").json()
        assert explained == page["explanation"]
