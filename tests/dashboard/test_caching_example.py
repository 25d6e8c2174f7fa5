"""Done means: after the caching example, the dashboard shows its story.

All three runs are listed; the second run's DAG marks importer and normalizer cached and
links them to the first run; the trained model's lineage leads back through trainer and
normalizer to importer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from fastapi.testclient import TestClient

from stepstone import Client
from stepstone.dashboard import create_app
from stepstone.examples import run_example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("caching-example") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEPSTONE_HOME", str(home))
        try:
            run_example("caching")
        finally:
            from stepstone.stores import close_all_stores

            close_all_stores()
    return home


@pytest.fixture
def api(example_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Client(example_home))) as client:
        yield client


def test_dashboard_shows_the_three_runs(api: TestClient) -> None:
    body = api.get("/api/v1/runs", params={"pipeline": "mnist_pipeline"}).json()
    assert body["total"] == 3
    oldest_first = body["runs"][::-1]
    assert [(r["ran_count"], r["cached_count"]) for r in oldest_first] == [(4, 0), (2, 2), (0, 4)]
    page = api.get("/").text
    for run in body["runs"]:
        assert f'href="/runs/{run["id"]}"' in page


def test_second_run_marks_importer_and_normalizer_cached_from_the_first(api: TestClient) -> None:
    first, second, _ = api.get("/api/v1/runs").json()["runs"][::-1]
    detail = api.get(f"/api/v1/runs/{second['id']}").json()
    nodes = {node["key"]: node for node in detail["graph"]["nodes"]}
    assert {key: node["status"] for key, node in nodes.items()} == {
        "importer": "cached",
        "normalizer": "cached",
        "trainer": "completed",
        "evaluator": "completed",
    }
    for name in ("importer", "normalizer"):
        assert nodes[name]["source_href"] == f"/runs/{first['id']}"
    assert detail["time_saved"] > 0
    page = api.get(f"/runs/{second['id']}").text
    for name in ("importer", "normalizer"):
        node = re.search(rf'<g class="node node-step status-cached" data-key="{name}"', page)
        assert node is not None
    assert page.count(f'class="source-link" href="/runs/{first["id"]}"') == 2


def test_trained_model_lineage_leads_back_to_importer(api: TestClient) -> None:
    first = api.get("/api/v1/runs").json()["runs"][-1]
    steps = {s["name"]: s for s in api.get(f"/api/v1/runs/{first['id']}").json()["steps"]}
    model_id = steps["trainer"]["outputs"][0]["id"]
    lineage = api.get(f"/api/v1/artifacts/{model_id}").json()["lineage"]
    labels = {node["key"]: node["label"] for node in lineage["nodes"]}
    parents: dict[str, list[str]] = {}
    for edge in lineage["edges"]:
        parents.setdefault(edge["target"], []).append(edge["source"])
    # Walk the single chain model <- trainer <- X_train_normed <- normalizer <- X_train <- importer.
    chain = []
    key = f"a:{model_id}"
    while key in parents:
        steps_up = [p for p in parents[key] if p.startswith("s:")]
        artifacts_up = [p for p in parents[key] if p.startswith("a:")]
        if steps_up:
            key = steps_up[0]
        else:
            named = [p for p in artifacts_up if labels[p] == "X_train_normed"]
            named = named or [p for p in artifacts_up if labels[p] == "X_train"]
            if not named:
                break
            key = named[0]
        chain.append(labels[key])
    assert chain[:5] == ["trainer", "X_train_normed", "normalizer", "X_train", "importer"]
