"""List tables at 80 and 100 columns: one line per item, ids and name endings kept."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from stepstone import Client, pipeline
from stepstone.cli.app import app
from stepstone.cli.fit import elide_middle

from .pipelines import RecordedRuns, load_numbers


@pipeline
def a_pipeline_whose_name_is_far_longer_than_any_terminal_column() -> None:
    load_numbers()


@pytest.fixture
def many_runs(recorded_runs: RecordedRuns) -> list[str]:
    """Three runs (one of a pipeline with a very long name): their ids, newest first."""
    a_pipeline_whose_name_is_far_longer_than_any_terminal_column()
    return [run.id for run in Client().list_runs()]


def table_lines(runner: CliRunner, width: int, *args: str) -> list[str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= width for line in lines), result.stdout
    return lines


@pytest.mark.parametrize("width", [80, 100])
def test_runs_list_keeps_one_line_per_run(
    runner: CliRunner, many_runs: list[str], width: int
) -> None:
    lines = table_lines(runner, width, "runs", "list")
    for run in Client().list_runs():
        rows = [line for line in lines if run.id[:8] in line]
        assert len(rows) == 1, lines
        # The end of a name tells runs of one pipeline apart: it survives the cut.
        assert run.name[-6:] in rows[0]
        assert run.status in rows[0]


@pytest.mark.parametrize("width", [80, 100])
def test_cache_list_keeps_one_line_per_entry(
    runner: CliRunner, many_runs: list[str], width: int
) -> None:
    lines = table_lines(runner, width, "cache", "list")
    entries = Client().stores.metadata.list_cache_entries(limit=50)
    assert len(entries) == 3
    for entry in entries:
        rows = [line for line in lines if entry.cache_key[:12] in line]
        assert len(rows) == 1, lines
        assert entry.run_name[-6:] in rows[0]


@pytest.mark.parametrize("width", [80, 100])
def test_artifacts_list_keeps_one_line_per_artifact(
    runner: CliRunner, many_runs: list[str], width: int
) -> None:
    lines = table_lines(runner, width, "artifacts", "list")
    artifacts = Client().list_artifacts()
    assert artifacts
    for artifact in artifacts:
        assert len([line for line in lines if artifact.id[:12] in line]) == 1, lines


def test_wide_terminals_show_every_column(runner: CliRunner, many_runs: list[str]) -> None:
    lines = table_lines(runner, 240, "runs", "list")
    header = next(line for line in lines if "name" in line and "status" in line)
    for column in ("pipeline", "started", "duration"):
        assert column in header
    assert a_pipeline_whose_name_is_far_longer_than_any_terminal_column.name in "\n".join(lines)


@pytest.mark.parametrize(("width", "expected"), [(9, "abcd…6789"), (3, "a…9"), (1, "…")])
def test_elide_middle_keeps_both_ends(width: int, expected: str) -> None:
    assert elide_middle("abcdefghij0123456789", width) == expected
    assert elide_middle("short", width + 10) == "short"
