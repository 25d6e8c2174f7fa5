"""End to end in a real headless Chromium: the pages as a user clicks through them.

A real uvicorn server on a free 127.0.0.1 port serves the recorded runs from a thread;
Playwright drives Debian's Chromium (``/usr/bin/chromium``, never a downloaded build).
Screenshots land in ``test-output/dashboard/`` for a person to look at.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stepstone.dashboard import create_app

from .conftest import DemoRuns
from .records import LIVE_GRAPH, graph_stored, record_step, start_run

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(runs: DemoRuns) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        create_app(runs.client),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="off",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, name="dashboard-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the dashboard server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.rootpath) / "test-output" / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def test_runs_list_run_step_and_lineage(
    page: Any, server: str, runs: DemoRuns, shots: Path
) -> None:
    page.goto(server + "/")
    page.wait_for_selector("table.runs")
    assert page.locator("table.runs tr[data-run]").count() == 5
    page.screenshot(path=shots / "01-runs.png", full_page=True)

    # Open the second run (configuration B): importer and normalizer came from the cache.
    page.click(f'a[href="/runs/{runs.second.id}"]')
    page.wait_for_selector("svg.dag")
    for name in ("importer", "normalizer"):
        node = page.locator(f'svg.dag g.node[data-key="{name}"]')
        assert "status-cached" in node.get_attribute("class")
        source = node.locator("a.source-link")
        assert source.get_attribute("href") == f"/runs/{runs.first.id}"
    for name in ("trainer", "evaluator"):
        node = page.locator(f'svg.dag g.node[data-key="{name}"]')
        assert "status-completed" in node.get_attribute("class")
    assert page.locator("#time-saved").inner_text() != "-"
    page.screenshot(path=shots / "02-run-cached.png", full_page=True)

    # Click a step in the DAG: its explanation and captured logs.
    page.click('svg.dag g.node[data-key="trainer"] a.node-link')
    page.wait_for_selector("ul.reasons")
    assert "parameter lr: 0.001 → 0.003" in page.locator("ul.reasons").inner_text()
    assert "training with lr=0.003" in page.locator("pre.logs").inner_text()
    page.screenshot(path=shots / "03-step.png", full_page=True)

    # Follow the trained model's lineage back to the importer.
    page.click("text=lineage of output")
    page.wait_for_selector("svg#lineage")
    labels = page.locator("svg#lineage g.node .node-label").all_text_contents()
    assert {"trainer", "normalizer", "importer", "X_train_normed", "X_train"} <= set(labels)
    page.screenshot(path=shots / "04-artifact-lineage.png", full_page=True)
    page.click('svg#lineage g.node-step_run:has(.node-label:text-is("importer")) a.node-link')
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Step importer"
    assert f"/runs/{runs.first.id}/steps/importer" in page.url


def test_cached_node_leads_to_the_producing_run(page: Any, server: str, runs: DemoRuns) -> None:
    page.goto(f"{server}/runs/{runs.third.id}")
    assert page.locator("svg.dag g.node.status-cached").count() == 4
    page.click('svg.dag g.node[data-key="normalizer"] a.source-link')
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == runs.first.name


def test_markup_in_user_strings_is_shown_as_text(
    page: Any, server: str, runs: DemoRuns, shots: Path
) -> None:
    page.goto(f"{server}/runs/{runs.evil.id}/steps/shout")
    page.wait_for_selector("pre.logs")
    assert (
        "log line <script>window.__pwned = true</script>" in page.locator("pre.logs").inner_text()
    )
    assert page.evaluate("window.__pwned === undefined")
    page.screenshot(path=shots / "05-escaped.png", full_page=True)
    page.goto(f"{server}/runs/{runs.evil.id}")
    assert "<script>" in page.locator("h1").inner_text()
    assert page.evaluate("window.__pwned === undefined")


def test_compare_from_the_runs_list(page: Any, server: str, runs: DemoRuns, shots: Path) -> None:
    page.goto(server + "/?pipeline=demo_pipeline")
    page.check(f'input[name="a"][value="{runs.first.id}"]')
    page.check(f'input[name="b"][value="{runs.second.id}"]')
    page.click("text=Compare A with B")
    page.wait_for_selector('tr[data-step="trainer"]')
    assert "parameter lr: 0.001 → 0.003" in page.locator('tr[data-step="trainer"]').inner_text()
    page.screenshot(path=shots / "06-compare.png", full_page=True)


def test_running_run_updates_without_reload(
    page: Any, server: str, runs: DemoRuns, shots: Path
) -> None:
    store = runs.client.stores.metadata
    run = start_run(store, "live_pipeline", LIVE_GRAPH)
    load = record_step(store, run, "load", 0, output="rows")
    page.goto(f"{server}/runs/{run.id}")
    page.evaluate("window.__sameDocument = true")
    if graph_stored(store, run):
        fit = page.locator('svg.dag g.node[data-key="fit"]')
        assert "status-running" in fit.get_attribute("class")
    page.screenshot(path=shots / "07-live-running.png", full_page=True)

    record_step(store, run, "fit", 1, inputs={"rows": load.outputs["rows"]}, output="model")
    page.wait_for_selector('svg.dag g.node.status-completed[data-key="fit"]', timeout=15_000)
    store.finish_run(run.id, "completed", datetime.now(UTC))
    page.wait_for_selector('#run-live[data-live="0"]', timeout=15_000)
    assert page.evaluate("window.__sameDocument === true")  # updated in place, not reloaded
    assert page.locator(".card .badge").first.inner_text() == "completed"
    page.screenshot(path=shots / "08-live-finished.png", full_page=True)


def test_a_failed_runs_page_shows_the_error_without_a_click(
    page: Any, server: str, runs: DemoRuns
) -> None:
    page.goto(f"{server}/runs/{runs.failed_run_id}")
    error = page.locator('section.run-error[data-step="explode"] pre.error')
    assert error.is_visible()
    assert "ValueError: bad input" in error.inner_text()


def test_the_exports_reuse_note_is_not_dressed_as_a_link(
    page: Any, runs: DemoRuns, tmp_path: Path
) -> None:
    from stepstone.dashboard.export import write_run_html

    target = write_run_html(runs.client, runs.second.id, tmp_path / "run.html")
    page.goto(target.as_uri())
    note = page.locator('svg.dag g.node[data-key="importer"] .node-source')
    assert (note.text_content() or "").startswith("↩ from")
    assert page.locator("svg.dag a.source-link").count() == 0  # no run pages to link to
    decoration = note.evaluate("element => getComputedStyle(element).textDecorationLine")
    assert decoration == "none"


def test_an_artifact_lineage_graph_opens_whole(page: Any, server: str, runs: DemoRuns) -> None:
    model = runs.second.steps["trainer"].output
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{server}/artifacts/{model.id}")
    page.wait_for_selector("svg#lineage")
    frame = page.locator("svg#lineage").evaluate(
        """svg => {
            const box = svg.getBoundingClientRect();
            const scroller = svg.closest('.graph-scroll');
            const outer = scroller.getBoundingClientRect();
            return {left: box.left, right: box.right, outerLeft: outer.left,
                    outerRight: outer.right, scrolled: scroller.scrollLeft};
        }"""
    )
    assert frame["scrolled"] == 0
    assert frame["left"] >= frame["outerLeft"] and frame["right"] <= frame["outerRight"]
