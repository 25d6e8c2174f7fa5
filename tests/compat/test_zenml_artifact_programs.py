"""ZenML-style programs with named artifact versions, each twice in a fresh interpreter.

A second run of a program is a cache hit for every step: a cached step creates no new
version (the versions stay those its first run created), while a value saved with
``save_artifact`` on every run becomes a new version each time, and a step fed an equal value
is still reused.
"""

from __future__ import annotations

from pathlib import Path

from shared_fixtures import run_python

PROGRAMS = Path(__file__).parent / "programs"


def _run(program: str, home: Path) -> str:
    code = (PROGRAMS / program).read_text()
    return run_python(code, env={"STEPSTONE_HOME": str(home)})


def test_named_artifacts_program_versions_executions_only(tmp_path: Path) -> None:
    first = _run("named_artifacts.py", tmp_path)
    assert "loading iris" in first and "status: completed" in first
    assert "dataset: 1 4" in first
    assert "labels: 1 ['raw'] {'rows': 4}" in first
    assert "model: 1 ModelArtifact [0, 1]" in first
    assert "versions: ['1']" in first and "run name: True" in first
    second = _run("named_artifacts.py", tmp_path)
    assert "loading iris" not in second and "status: cached" in second
    assert "versions: ['1']" in second  # cached: no new version
    assert "model: 1 ModelArtifact [0, 1]" in second


def test_saved_artifacts_program_saves_versions_and_caches_their_consumers(
    tmp_path: Path,
) -> None:
    first = _run("saved_artifacts.py", tmp_path)
    assert "saved: prices ['daily']" in first
    assert "loaded: [10.0, 20.0, 30.0]" in first
    assert "summary: completed 30.0" in first
    assert "external: completed 6.0" in first
    second = _run("saved_artifacts.py", tmp_path)
    assert "summarizing" not in second
    assert "summary: cached 30.0" in second and "external: cached 6.0" in second
    assert "first version: 1 True" in second  # saved again: version 2, equal content
