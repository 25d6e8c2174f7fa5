"""``stepstone logs RUN STEP`` and ``stepstone explain RUN STEP``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stepstone import pipeline, step
from stepstone.cli.app import app

from .pipelines import RecordedRuns, load_numbers


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- logs -------------------------------------------------------------------------------------


def test_logs_of_an_executed_step(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "logs", recorded_runs.first.id, "load_numbers")
    assert code == 0, err
    assert out == "loaded 4 numbers\n"
    assert err == ""


def test_logs_of_a_cached_step_come_from_the_producing_run(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    first, second = recorded_runs.first, recorded_runs.second
    code, out, err = invoke(runner, "logs", "latest", "load_numbers")
    assert code == 0, err
    assert out == "loaded 4 numbers\n"  # stdout stays exactly the logs
    assert f"was cached in run {second.name}" in err
    assert f"these are the logs of run {first.name}, which executed it" in err
    code, out, _ = invoke(runner, "logs", second.name, "load_numbers", "--json")
    document = json.loads(out)
    assert document["status"] == "cached"
    assert document["logs"] == "loaded 4 numbers\n"
    assert document["logs_from"]["run_id"] == first.id
    assert document["logs_from"]["run_name"] == first.name


def test_logs_of_a_failed_step_end_with_its_traceback(
    runner: CliRunner, failed_run_id: str
) -> None:
    code, out, err = invoke(runner, "logs", failed_run_id, "scale_total")
    assert code == 0, err
    assert "Traceback (most recent call last)" in out
    assert out.rstrip().endswith("ValueError: factor must be positive, got -1")


def test_logs_of_a_silent_step_say_so(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "logs", recorded_runs.first.id, "scale_total")
    assert code == 0
    assert out == ""
    assert "printed and logged nothing" in err


def test_logs_of_a_step_cached_from_a_deleted_run(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    assert invoke(runner, "runs", "delete", recorded_runs.first.id)[0] == 0
    code, out, err = invoke(runner, "logs", "latest", "load_numbers")
    assert code == 0
    assert out == ""
    assert "an earlier run (since deleted)" in err
    assert "Its logs were deleted with the run that executed it." in err


def test_logs_unknown_step_suggests_one(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "logs", "latest", "scale_totl")
    assert code == 2
    assert out == ""
    assert "has no step 'scale_totl'. Did you mean 'scale_total'?" in err


# -- explain ----------------------------------------------------------------------------------


def test_explain_names_the_changed_parameter(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "explain", "latest", "scale_total")
    assert code == 0, err
    assert f"Step 'scale_total' in run {recorded_runs.second.name} ran" in out
    assert f"compared with run {recorded_runs.first.name}" in out
    assert "parameter factor: 1 → 2" in out


def test_explain_json_and_against(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    first, second = recorded_runs.first, recorded_runs.second
    code, out, err = invoke(
        runner, "explain", first.id, "scale_total", "--against", second.id, "--json"
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["run_name"] == first.name
    assert document["against_run"] == second.name
    assert [(r["kind"], r["before"], r["after"]) for r in document["reasons"]] == [
        ("parameter", 2, 1)
    ]
    assert document["invocation_name"] == "scale_total"
    # The sentences the command prints without --json (and the dashboard's step page shows).
    assert document["text"].startswith(f"Step 'scale_total' in run {first.name} ran")


def test_explain_a_cached_step(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, _ = invoke(runner, "explain", "latest", "load_numbers")
    assert code == 0
    assert "was cached" in out
    assert "its outputs were reused" in out


def test_explain_unknown_run_or_step_exits_2(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, _, err = invoke(runner, "explain", "latest", "load_number")
    assert code == 2
    assert "Did you mean 'load_numbers'?" in err
    code, _, err = invoke(runner, "explain", "latest", "load_numbers", "--against", "nope")
    assert code == 2
    assert "No run matches 'nope'" in err


@step
def fit(numbers: list[int], framework: str, lr: float) -> float:
    return sum(numbers) * lr if framework == "linear" else max(numbers) * lr


@pipeline
def training(framework: str, lr: float) -> None:
    fit(load_numbers(), framework=framework, lr=lr)


def test_explain_a_miss_compares_with_the_closest_earlier_run_at_80_columns(
    runner: CliRunner,
) -> None:
    closest = training(framework="linear", lr=0.1)
    training(framework="tree", lr=0.1)  # the most recent run, but two parts away
    latest = training(framework="linear", lr=0.2)
    assert latest.steps["fit"].status == "completed"
    result = runner.invoke(app, ["explain", "latest", "fit"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), result.stdout
    header = " ".join(line.strip() for line in lines if not line.startswith("  - "))
    assert f"Step 'fit' in run {latest.name} ran (compared with run {closest.name}):" in header
    reasons = [line for line in lines if line.startswith("  - ")]
    assert reasons == ["  - parameter lr: 0.1 → 0.2"]  # the deciding part first, and alone
    assert "framework" not in result.stdout
