"""What a notebook shows: one live progress display per run, and HTML for runs and steps.

The HTML comes from a real kernel's display messages (as Jupyter renders them), is checked to
be well formed, and is drawn in headless Chromium, where a hostile parameter value must
appear as text, never as markup.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from .kernels import start_kernel

pytestmark = pytest.mark.slow  # starts kernel processes

EVIL = "<img src=x onerror=alert(1)>"
PIPELINE = """
import json
from stepstone import pipeline, step


@step
def load() -> list[int]:
    print("loading")
    return [1, 2, 3]


@step
def hostile(xs: list[int], note: str = "") -> int:
    return sum(xs)


@pipeline
def shown(note: str = ""):
    hostile(load(), note=note)
"""
VOID = {"br", "img", "input", "meta", "link", "hr", "path", "rect", "stop"}


class _Checker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def well_formed(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.open == [], f"unclosed: {checker.open}"
    return checker.tags


def html_outputs(data: list[dict[str, Any]], marker: str) -> list[str]:
    return [d["text/html"] for d in data if marker in d.get("text/html", "")]


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two runs in a real kernel: what the cells printed and displayed."""
    folder = tmp_path_factory.mktemp("display")
    with start_kernel(folder / "home", folder) as kernel:
        defined = kernel.run(PIPELINE)
        assert defined.error is None, defined.error
        first = kernel.run(f"run = shown(note={EVIL!r})\nrun")
        second = kernel.run(f"run = shown(note={EVIL!r})\nrun")
        step = kernel.run("run.steps['hostile']")
        artifact = kernel.run("run.steps['load'].output")
        explain = kernel.run("run.steps['load'].explain()")
        text = kernel.run("print(repr(run)); print(repr(run.steps['load']))")
    return {
        "first": first,
        "second": second,
        "step": step,
        "artifact": artifact,
        "explain": explain,
        "text": text,
    }


def test_a_run_shows_one_progress_display_and_no_event_lines(shown: dict[str, Any]) -> None:
    first = shown["first"]
    assert first.error is None, first.error
    progress = html_outputs(first.data, "stepstone-progress")
    assert len(progress) == 1  # updated in place, never appended
    assert 'data-state="completed"' in progress[0]
    assert (
        'data-state="pending"' not in progress[0] and '<progress max="2" value="2">' in progress[0]
    )
    assert "has started" not in first.stdout and "has finished" not in first.stdout
    assert "loading" in first.stdout  # the step's own print still shows
    second = html_outputs(shown["second"].data, "stepstone-progress")
    assert len(second) == 1
    assert second[0].count('data-state="cached"') == 2


def test_the_run_html_marks_cached_steps_and_what_they_saved(shown: dict[str, Any]) -> None:
    (html,) = html_outputs(shown["second"].data, "stepstone-run")
    tags = well_formed(html)
    assert "svg" in tags
    assert "2 cached" in html and "the cache saved" in html
    assert html.count("status-cached") >= 2
    assert EVIL not in html  # escaped wherever the name and the value appear
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for name in ("step", "artifact"):
        assert EVIL not in html_outputs(shown[name].data, "stepstone-display")[0]
    (artifact,) = html_outputs(shown["artifact"].data, "stepstone-artifact")
    well_formed(artifact)
    assert "builtins.list" in artifact
    (explain,) = html_outputs(shown["explain"].data, "stepstone-explain")
    well_formed(explain)
    assert "was cached" in explain


def test_plain_text_reprs_stay_one_line(shown: dict[str, Any]) -> None:
    lines = shown["text"].stdout.strip().splitlines()
    assert lines[0].startswith("<PipelineRun 'shown-") and lines[0].endswith(" completed>")
    assert lines[1] == "<StepRun 'load' cached>"


def test_the_run_html_renders_in_chromium_with_markup_as_text(
    shown: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    (html,) = html_outputs(shown["second"].data, "stepstone-run")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(f"<!doctype html><html><body>{html}</body></html>")
    assert page.locator("svg.dag .node").count() == 2
    assert page.locator("svg.dag .node.status-cached").count() == 2
    assert page.locator("img").count() == 0 and dialogs == []
    assert EVIL in page.locator(".stepstone-run .parameters").inner_text()
    box = page.locator("svg.dag").bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 30
    page.screenshot(path=str(tmp_path / "run.png"))
    page.close()
