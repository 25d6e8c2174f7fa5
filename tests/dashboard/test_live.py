"""A run in progress: drawn whole from its recorded graph, refreshed as steps finish."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stepstone import Client
from stepstone.dashboard import create_app

from .records import LIVE_GRAPH, graph_stored, record_step, start_run


@pytest.fixture
def client(isolated_home: Path) -> Client:
    return Client(isolated_home)


def statuses(body: dict) -> dict[str, str]:
    return {step["name"]: step["status"] for step in body["steps"]}


def test_running_run_shows_planned_steps_and_updates(client: Client) -> None:
    store = client.stores.metadata
    api = TestClient(create_app(client))
    run = start_run(store, "live_pipeline", LIVE_GRAPH)
    load = record_step(store, run, "load", 0, output="rows")

    body = api.get(f"/api/v1/runs/{run.id}").json()
    assert body["live"] is True and body["run"]["status"] == "running"
    if graph_stored(store, run):
        assert statuses(body) == {"load": "completed", "fit": "running", "report": "pending"}
        edges = {(e["source"], e["target"]) for e in body["graph"]["edges"]}
        assert edges == {("load", "fit"), ("fit", "report")}
    else:  # runs recorded before the graph field: only what has finished is drawn
        assert statuses(body) == {"load": "completed"}
    page = api.get(f"/runs/{run.id}").text
    assert 'data-live="1"' in page and "still going" in page

    before = api.get(f"/api/v1/runs/{run.id}/progress").json()
    record_step(store, run, "fit", 1, inputs={"rows": load.outputs["rows"]}, output="model")
    after = api.get(f"/api/v1/runs/{run.id}/progress").json()
    assert after["signature"] != before["signature"]
    assert (after["step_count"], after["cached_count"]) == (2, 0)
    fragment = api.get(f"/runs/{run.id}/live").text
    assert "<html" not in fragment and 'data-key="fit"' in fragment

    from datetime import UTC, datetime

    store.finish_run(run.id, "failed", datetime.now(UTC))
    done = api.get(f"/api/v1/runs/{run.id}").json()
    assert done["live"] is False
    if graph_stored(store, run):
        assert statuses(done)["report"] == "skipped"
    assert 'data-live="0"' in api.get(f"/runs/{run.id}").text


def test_graph_less_run_is_rebuilt_from_artifacts(client: Client) -> None:
    store = client.stores.metadata
    api = TestClient(create_app(client))
    run = start_run(store, "old_pipeline", {})
    load = record_step(store, run, "load", 0, output="rows")
    fit = record_step(store, run, "fit", 1, inputs={"rows": load.outputs["rows"]}, output="model")
    record_step(store, run, "report", 2, inputs={"model": fit.outputs["model"]})
    graph = api.get(f"/api/v1/runs/{run.id}").json()["graph"]
    edges = {(e["source"], e["target"]): e["label"] for e in graph["edges"]}
    assert edges == {("load", "fit"): "rows", ("fit", "report"): "model"}


def test_a_step_waiting_for_another_run_shows_and_redraws_the_page(client: Client) -> None:
    store = client.stores.metadata
    api = TestClient(create_app(client))
    run = start_run(store, "live_pipeline", LIVE_GRAPH)
    record_step(store, run, "load", 0, output="rows")
    if not graph_stored(store, run):
        pytest.skip("this store records no graph: unfinished steps are not drawn")
    before = api.get(f"/api/v1/runs/{run.id}/progress").json()

    store.set_waiting(run.id, "fit", "f" * 64)  # another run executes fit's key
    body = api.get(f"/api/v1/runs/{run.id}").json()
    after = api.get(f"/api/v1/runs/{run.id}/progress").json()

    assert statuses(body) == {"load": "completed", "fit": "waiting", "report": "pending"}
    assert after["signature"] != before["signature"]  # the live page redraws
    assert body["signature"] == after["signature"]
    assert "status-waiting" in api.get(f"/runs/{run.id}").text
