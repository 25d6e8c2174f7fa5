"""The HTML pages: built from the same view data, every user string escaped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import DemoRuns
from .pipelines import XSS

ESCAPED = "&lt;script&gt;window.__pwned = true&lt;/script&gt;"


def test_runs_page_lists_runs_with_filters_and_pager(api: TestClient, runs: DemoRuns) -> None:
    page = api.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for run in (runs.first, runs.second, runs.third):
        assert f'href="/runs/{run.id}"' in page.text
    assert 'name="status"' in page.text and 'name="pipeline"' in page.text
    assert "page 1 of 1" in page.text
    paged = api.get("/", params={"per_page": 2, "page": 2, "pipeline": "demo_pipeline"})
    assert "page 2 of 2" in paged.text
    assert "pipeline=demo_pipeline" in paged.text  # the pager keeps the filter
    empty = api.get("/", params={"pipeline": "nothing-like-this"})
    assert "No runs match these filters" in empty.text


def test_run_page_draws_the_dag_with_cached_nodes_linked(api: TestClient, runs: DemoRuns) -> None:
    page = api.get(f"/runs/{runs.second.id}").text
    assert "<svg" in page and 'class="dag"' in page
    for name in ("importer", "normalizer"):
        node = re.search(rf'<g class="node node-step status-(\w+)" data-key="{name}"', page)
        assert node is not None and node.group(1) == "cached"
    assert re.search(r'data-key="trainer"', page)
    assert page.count(f'class="source-link" href="/runs/{runs.first.id}"') == 2
    assert re.search(r">(X_train, X_test|X_test, X_train)</text>", page)  # edge labels
    assert "time saved by the cache" in page
    assert 'class="timeline"' in page
    assert f'href="/runs/{runs.second.id}/steps/trainer"' in page


def test_step_page_shows_explanation_code_and_logs(api: TestClient, runs: DemoRuns) -> None:
    page = api.get(f"/runs/{runs.second.id}/steps/trainer").text
    assert "Why it ran" in page
    assert "parameter lr: 0.001 → 0.003" in page
    assert "training with lr=0.003" in page
    assert "Code fingerprint" in page and "pipelines.trainer" in page
    cached = api.get(f"/runs/{runs.second.id}/steps/importer").text
    assert "Why it was cached" in cached
    assert f'class="cached-from" href="/runs/{runs.first.id}/steps/importer"' in cached
    assert "imported 6 rows" in cached


def test_step_run_link_redirects_to_its_run(api: TestClient, runs: DemoRuns) -> None:
    step_run_id = runs.first.steps["trainer"].id
    response = api.get(f"/step-runs/{step_run_id}", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == f"/runs/{runs.first.id}/steps/trainer"


def test_artifact_page_shows_producer_consumers_and_lineage(
    api: TestClient, runs: DemoRuns
) -> None:
    model = runs.first.steps["trainer"].output
    page = api.get(f"/artifacts/{model.id}").text
    assert "builtins.dict" in page
    assert f'class="producer" href="/runs/{runs.first.id}/steps/trainer"' in page
    assert "Consumers" in page and "evaluator" in page
    assert 'id="lineage"' in page


def test_compare_page(api: TestClient, runs: DemoRuns) -> None:
    page = api.get("/compare", params={"a": runs.first.id, "b": runs.second.id}).text
    assert "parameter lr: 0.001 → 0.003" in page
    assert 'class="changed"' in page
    assert "Pick two runs" in api.get("/compare").text


def test_missing_pages_are_404_with_escaped_message(api: TestClient) -> None:
    response = api.get("/runs/<script>nope")
    assert response.status_code == 404
    assert "<script>nope" not in response.text
    assert "&lt;script&gt;nope" in response.text
    unknown = api.get("/no/such/page")
    assert unknown.status_code == 404 and "Not found" in unknown.text
    assert api.get("/api/v1/nothing").json() == {"detail": "Not Found"}


def test_user_strings_are_escaped_everywhere(api: TestClient, runs: DemoRuns) -> None:
    evil = runs.evil
    pages = [
        api.get("/").text,
        api.get(f"/runs/{evil.id}").text,
        api.get(f"/runs/{evil.id}/steps/shout").text,
        api.get(f"/artifacts/{evil.steps['shout'].output.id}").text,
        api.get("/compare", params={"a": evil.id, "b": evil.id}).text,
        api.get(f"/runs/{runs.failed_run_id}/steps/explode").text,
    ]
    for page in pages:
        assert XSS not in page
        assert "<b>bold</b>" not in page
        assert "<script>" not in page.replace(
            '<script src="/static/dashboard.js" defer></script>', ""
        )
    step_page = pages[2]
    assert "log line " + ESCAPED in step_page  # the captured print
    assert ESCAPED in pages[1]  # the pipeline name and the parameter
    assert "bad input " + ESCAPED in pages[5]  # the error text


def test_security_headers(api: TestClient) -> None:
    response = api.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_static_files_are_served(api: TestClient) -> None:
    assert "svg.dag" in api.get("/static/style.css").text
    assert "progress" in api.get("/static/dashboard.js").text


def test_svg_writer_escapes_every_value() -> None:
    from stepstone.dashboard.schemas import GraphEdge, GraphNode, GraphView, Timeline, TimelineBar
    from stepstone.dashboard.svg import dag_svg, timeline_svg

    evil = '"><script>x()</script>'
    node = GraphNode(
        key=evil,
        kind="step",
        label=evil,
        detail=evil,
        status=evil,
        x=0,
        y=0,
        width=10,
        height=10,
        href=f"/runs/{evil}",
        source_label=evil,
        source_href=evil,
        title=evil,
    )
    edge = GraphEdge(
        source=evil, target=evil, label=evil, title=evil, path=evil, label_x=0, label_y=0
    )
    svg = str(dag_svg(GraphView(width=10, height=10, nodes=[node], edges=[edge]), evil, evil))
    bars = [TimelineBar(name=evil, status=evil, offset=0, duration=1, href=evil)]
    svg += str(timeline_svg(Timeline(total=1, bars=bars)))
    assert "<script>" not in svg and '"><script' not in svg
    assert "&quot;&gt;&lt;script&gt;" in svg
    assert "status-unknown" in svg  # an unexpected status never becomes a class of its own
