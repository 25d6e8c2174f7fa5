"""The packaged ``caching.ipynb``: pulled by ``stepstone example pull caching``, it runs clean.

The notebook is executed top to bottom in a fresh kernel, as "Run All" does, from the pulled
folder; a second fresh kernel over the same store then finds every step of its first run in
the cache.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from typer.testing import CliRunner

from shared_fixtures import SRC
from stepstone.cli.app import app

pytest.importorskip("sklearn")

pytestmark = pytest.mark.slow  # starts kernel processes


def run_notebook(path: Path, home: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    env = dict(os.environ, PYTHONPATH=SRC, STEPSTONE_HOME=str(home), OMP_NUM_THREADS="1")
    env["JPY_SESSION_NAME"] = str(path)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)  # raises CellExecutionError on the first failing cell
    return notebook


def statuses(notebook: nbformat.NotebookNode) -> list[dict[str, str]]:
    """The ``{step: status}`` lines the run cells print, in order."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("name") == "stdout" and output["text"].startswith("{'importer'"):
                found.append(ast.literal_eval(output["text"].splitlines()[0]))
    return found


def test_the_pulled_notebook_runs_clean_and_caches(tmp_path: Path) -> None:
    pulled = CliRunner().invoke(app, ["example", "pull", "caching", "--path", str(tmp_path)])
    assert pulled.exit_code == 0, pulled.output
    path = tmp_path / "caching" / "caching.ipynb"
    home = tmp_path / "home"

    first = run_notebook(path, home)
    runs = statuses(first)
    assert runs[0] == dict.fromkeys(runs[0], "completed")
    assert runs[1] == {
        "importer": "cached",
        "normalizer": "cached",
        "trainer": "completed",
        "evaluator": "completed",
    }
    assert runs[2] == dict.fromkeys(runs[2], "cached")
    html = [
        output["data"]["text/html"]
        for cell in first.cells
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]
    assert sum("stepstone-run" in h for h in html) == 3
    assert any("stepstone-explain" in h for h in html)
    table = next(c for c in first.cells if "run_table" in c.source)
    printed = table.outputs[0]["text"].splitlines()
    assert len(printed) == 3 and all("'accuracy'" in line for line in printed)
    assert all("'epochs'" not in line for line in printed)

    again = statuses(run_notebook(path, home))  # a fresh kernel, the same store
    assert again[0] == dict.fromkeys(again[0], "cached")
