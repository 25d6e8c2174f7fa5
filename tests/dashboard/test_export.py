"""``stepstone lineage RUN -o run.html``: one file, everything inline, nothing fetched."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from stepstone.cli.dashboard import app as dashboard_cli
from stepstone.dashboard.export import export_run_html

from .conftest import DemoRuns
from .pipelines import XSS


def test_lineage_command_writes_one_self_contained_file(
    runs: DemoRuns, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STEPSTONE_HOME", str(runs.home))
    target = tmp_path / "out" / "run.html"
    result = CliRunner().invoke(dashboard_cli, ["lineage", runs.second.name, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    # No external resource of any kind: no script, no stylesheet link, no remote URL.
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert re.search(r"(?:src|href)=\"/", html) is None  # no server paths either
    assert "<style>" in html and "svg.dag" in html
    # The DAG, with the cached nodes, and every step's details behind in-page anchors.
    assert html.count('status-cached" data-key=') == 2
    for name in ("importer", "normalizer", "trainer", "evaluator"):
        assert f'id="step-{name}"' in html
        assert f'href="#step-{name}"' in html
    assert "parameter lr: 0.001 → 0.003" in html
    assert "training with lr=0.003" in html
    assert runs.first.name in html  # the run cached steps came from, as text


def test_export_escapes_user_strings(runs: DemoRuns) -> None:
    html = export_run_html(runs.client, runs.evil.id)
    assert XSS not in html and "<script" not in html
    assert "log line &lt;script&gt;" in html


def test_lineage_default_file_name(runs: DemoRuns, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STEPSTONE_HOME", str(runs.home))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(dashboard_cli, ["lineage", runs.first.id])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{runs.first.name}.html").is_file()


def test_lineage_export_needs_only_jinja2(runs: DemoRuns, tmp_path: Path) -> None:
    """Without FastAPI (the server's part of the extra) the export still writes its file."""
    import os
    import subprocess
    import sys

    target = tmp_path / "no-fastapi.html"
    script = (
        "import sys\n"
        "sys.modules['fastapi'] = None\n"  # importing it now fails, as when it is not installed
        "from stepstone.cli.app import app\n"
        f"app(['lineage', {runs.second.id!r}, '-o', {str(target)!r}])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "STEPSTONE_HOME": str(runs.home)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "is missing" not in result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
