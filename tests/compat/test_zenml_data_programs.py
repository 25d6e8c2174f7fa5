"""ZenML-style programs run unchanged but for the import, each twice in fresh interpreters.

The second run of every program is fully cached and shows the same context and metadata as the
first: reading a step's context is not part of its cache key, and what a cached step's original
run logged is visible from the cached step run.
"""

from __future__ import annotations

from pathlib import Path

from shared_fixtures import run_python

PROGRAMS = Path(__file__).parent / "programs"


def _run(program: str, home: Path) -> str:
    code = (PROGRAMS / program).read_text()
    return run_python(code, env={"STEPSTONE_HOME": str(home)})


def test_step_context_program_runs_and_caches(tmp_path: Path) -> None:
    first = _run("step_context.py", tmp_path)
    assert "step: trainer" in first
    assert "parameters: {'learning_rate': 0.1}" in first
    assert "pipeline: training True" in first
    assert "building: training" in first
    assert "model: None" in first
    assert "status: completed" in first
    assert "output metadata: {'learning_rate': 0.1} ['candidate']" in first
    second = _run("step_context.py", tmp_path)
    assert "step: trainer" not in second  # the step did not execute again
    assert "status: cached" in second
    assert "output metadata: {'learning_rate': 0.1} ['candidate']" in second


def test_log_metadata_program_runs_and_caches(tmp_path: Path) -> None:
    for expected_status in ("completed", "cached"):
        out = _run("log_metadata.py", tmp_path)
        assert f"status: {expected_status}" in out
        assert "step: {'evaluation_metrics': {'accuracy': 0.9, 'rows': 100}, 'note': 'kept'}" in out
        assert (
            "run: {'evaluate::evaluation_metrics': {'accuracy': 0.9, 'rows': 100}, "
            "'evaluate::note': 'kept', 'reviewed': True}"
        ) in out
        assert "output: {'size': 2048, 'source': 's3://bucket/eval.csv'} Uri" in out


def test_external_artifact_program_runs_and_caches(tmp_path: Path) -> None:
    first = _run("external_artifact.py", tmp_path)
    assert "external: completed 45.0" in first
    # The recorded input passed back in has the same content: a hit, in the first run already.
    assert "recorded: cached" in first
    second = _run("external_artifact.py", tmp_path)
    assert "summing 10" not in second  # the step did not execute again
    assert "external: cached 45.0" in second and "recorded: cached" in second


def test_logger_program_records_info_lines_with_the_step(tmp_path: Path) -> None:
    # A bare Python logger drops INFO; ZenML's get_logger does not, so the line is recorded.
    first = _run("step_logger.py", tmp_path)
    assert "status: completed" in first
    assert "logs: INFO __main__: training for 3 epochs" in first
    second = _run("step_logger.py", tmp_path)
    assert "status: cached" in second
    assert "logs: INFO __main__: training for 3 epochs" in second  # the original run's log
