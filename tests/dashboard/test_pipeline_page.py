"""A pipeline's page: its runs side by side, a metric charted, every column at once.

The recorded runs are the caching example's shape, run with lr 0.001, 0.003, 0.001: ``lr``
differs and ``evaluator`` returns a number, so both are columns. The charts are drawn in
headless Chromium and checked for their marks (points, lines, axes), not for pixels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from stepstone.dashboard.charts import nice_ticks
from stepstone.dashboard.rendering import stylesheet

from .conftest import DemoRuns
from .pipelines import XSS


def test_the_api_serves_the_run_table_and_the_chart_data(api: TestClient, runs: DemoRuns) -> None:
    document = api.get("/api/v1/pipelines/demo_pipeline").json()
    assert [c["name"] for c in document["columns"]] == ["lr", "evaluator"]
    assert document["metric"] == "evaluator" and document["against"] == "run"
    assert [row["run"]["id"] for row in document["rows"]] == [
        runs.third.id,
        runs.second.id,
        runs.first.id,
    ]
    evaluated = runs.third.steps["evaluator"].output.load()
    assert document["rows"][0]["values"] == {"lr": 0.001, "evaluator": evaluated}
    # Oldest first along the x axis, one point per run.
    assert [p["run_id"] for p in document["points"]] == [
        runs.first.id,
        runs.second.id,
        runs.third.id,
    ]
    assert [p["x"] for p in document["points"]] == [1.0, 2.0, 3.0]
    assert [a["name"] for a in document["axes"]] == ["lr", "evaluator"]
    against = api.get("/api/v1/pipelines/demo_pipeline?against=lr").json()
    assert sorted(p["x"] for p in against["points"]) == [0.001, 0.001, 0.003]
    assert client_table(runs) == [row["values"] for row in document["rows"]]


def client_table(runs: DemoRuns) -> list[dict[str, Any]]:
    """What ``stepstone runs list --pipeline`` shows: the same table, from the client."""
    return [row.values for row in runs.client.run_table("demo_pipeline", limit=200).rows]


def test_unknown_pipelines_and_columns_say_so(api: TestClient) -> None:
    missing = api.get("/api/v1/pipelines/demo_pipelin")
    assert missing.status_code == 404 and "demo_pipeline" in missing.json()["detail"]
    column = api.get("/api/v1/pipelines/demo_pipeline?metric=acuracy")
    assert column.status_code == 400 and "No column 'acuracy'" in column.json()["detail"]


def test_the_page_escapes_a_hostile_pipeline_name(api: TestClient) -> None:
    page = api.get(f"/pipelines/{quote('evil' + XSS, safe='')}")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert api.get("/").text.count('href="/pipelines/') >= 2  # the runs list links each one
    filtered = api.get("/?pipeline=demo_pipeline").text
    assert 'class="pipeline-link" href="/pipelines/demo_pipeline"' in filtered


def test_the_runs_list_of_one_pipeline_shows_what_differs(api: TestClient, runs: DemoRuns) -> None:
    filtered = api.get("/?pipeline=demo_pipeline&per_page=20").text
    assert filtered.count('class="num value-column"') == 2  # lr and evaluator
    row = filtered.split(f'data-run="{runs.second.id}"')[1].split("</tr>")[0]
    assert '<td class="num">0.003</td>' in row
    assert "value-column" not in api.get("/").text  # many pipelines: no such columns


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0.0012, 0.0031) == [0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035]
    assert nice_ticks(3.0, 3.0) == [3.0]
    assert nice_ticks(0, 100) == [0, 50, 100]
    assert nice_ticks(2.004, 2.011) == [2.004, 2.006, 2.008, 2.01, 2.012]


@pytest.mark.slow
def test_the_charts_draw_their_marks_in_chromium(
    api: TestClient, runs: DemoRuns, browser: Any, tmp_path: Path
) -> None:
    html = api.get("/pipelines/demo_pipeline?against=lr").text
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    page.set_content(html)
    page.add_style_tag(content=stylesheet())
    assert page.locator("svg.metric-chart circle.point").count() == 3
    assert page.locator("svg.metric-chart .y-axis .tick").count() >= 2
    assert page.locator("svg.parallel-chart polyline.run-line").count() == 3
    assert page.locator("svg.parallel-chart .axis").count() == 2
    box = page.locator("svg.metric-chart circle.point").first.bounding_box()
    assert box is not None and box["width"] > 4
    assert page.locator("table.run-table tr").count() == 4
    page.screenshot(path=str(tmp_path / "pipeline.png"), full_page=True)
    by_runs = api.get("/pipelines/demo_pipeline").text
    page.set_content(by_runs)
    assert page.locator("svg.metric-chart polyline.series").count() == 1
    page.close()
