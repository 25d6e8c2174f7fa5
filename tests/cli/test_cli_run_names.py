"""Naming a run on the command line: ambiguous prefixes, ``latest`` and its scope, slips."""

from __future__ import annotations

from collections import defaultdict

from typer.testing import CliRunner

from stepstone.cli.app import app

from .pipelines import RecordedRuns, numbers_pipeline, other_pipeline


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_ambiguous_prefix_lists_the_runs_it_matches(runner: CliRunner) -> None:
    # 17 runs: two of them share the first hex digit of their ids (pigeonhole).
    by_first: dict[str, list[str]] = defaultdict(list)
    for factor in range(17):
        run = numbers_pipeline(factor=factor)
        by_first[run.id[0]].append(run.id)
    prefix, ids = next((p, ids) for p, ids in by_first.items() if len(ids) > 1)
    code, out, err = invoke(runner, "runs", "show", prefix)
    assert code == 2
    assert out == ""
    assert f"'{prefix}' is ambiguous" in err
    assert "No run matches" not in err
    for run_id in ids[:5]:
        assert run_id[:12] in err


def test_a_misspelled_latest_suggests_latest(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, _, err = invoke(runner, "runs", "show", "lates")
    assert code == 2
    assert "Did you mean 'latest'" in err


def test_run_list_points_at_runs_list(runner: CliRunner) -> None:
    code, _, err = invoke(runner, "run", "list")
    assert code == 2
    assert "No such file: list." in err
    assert "'stepstone runs list'" in err


def test_latest_with_a_step_is_the_newest_run_that_has_it(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    other_pipeline()  # ran last, and has no step 'scale_total'
    code, out, err = invoke(runner, "logs", "latest", "scale_total")
    assert code == 0, err
    assert out == ""  # the step printed nothing; the resolved run is said on stderr only
    second = recorded_runs.second
    assert f"latest: run {second.name} ({second.id[:12]}) of pipeline numbers_pipeline" in err


def test_latest_narrowed_by_pipeline_says_which_run(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    other = other_pipeline()
    code, out, err = invoke(runner, "runs", "show", "latest", "--pipeline", "numbers_pipeline")
    assert code == 0, err
    assert recorded_runs.second.name in out
    assert f"latest: run {recorded_runs.second.name}" in err
    code, out, err = invoke(runner, "runs", "show", "latest")
    assert code == 0, err
    assert f"latest: run {other.name}" in err


def test_latest_of_an_unknown_pipeline_suggests_the_full_name(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, _, err = invoke(runner, "logs", "latest", "load_numbers", "--pipeline", "numbers")
    assert code == 2
    assert "no runs of pipeline 'numbers'" in err
    assert "Did you mean 'numbers_pipeline'?" in err


def test_latest_with_a_step_no_run_has_names_the_steps_there_are(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, _, err = invoke(runner, "explain", "latest", "load_numbrs")
    assert code == 2
    assert "has no step 'load_numbrs'. Did you mean 'load_numbers'?" in err


def test_runs_list_with_a_short_pipeline_name_suggests_the_full_one(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "runs", "list", "--pipeline", "numbers")
    assert code == 0, err
    assert "Did you mean 'numbers_pipeline'?" in out
