"""``stepstone run FILE.py[:PIPELINE]``: parameters, cache options, views, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone import StepExecutionError
from stepstone.cli import run as run_module
from stepstone.cli.app import app


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def latest(runner: CliRunner) -> dict:
    code, out, err = invoke(runner, "runs", "show", "latest", "--json")
    assert code == 0, err
    return json.loads(out)


def statuses(document: dict) -> dict[str, str]:
    return {step["name"]: step["status"] for step in document["steps"]}


def test_run_executes_then_reuses_unchanged_steps(runner: CliRunner, flow_file: Path) -> None:
    code, out, err = invoke(runner, "run", str(flow_file))
    assert code == 0, err
    assert "Step `load` has started." in out
    assert "Step `total` has finished" in out
    assert "Inspect it with: stepstone runs show numbers-" in out
    assert "must not execute" not in out + err  # the __main__ block did not run
    code, out, err = invoke(runner, "run", f"{flow_file}:numbers", "-p", "factor=2")
    assert code == 0, err
    assert "Using cached version of step `load`" in out
    assert statuses(latest(runner)) == {"load": "cached", "total": "completed"}


def test_parameters_arrive_with_their_annotated_types(runner: CliRunner, flow_file: Path) -> None:
    code, _, err = invoke(
        runner,
        "run",
        str(flow_file),
        "-p", "n=4",
        "--param", "factor=0.5",
        "-p", 'tags=["a", "b"]',
        "-p", "loud=yes",
    )  # fmt: skip
    assert code == 0, err
    assert latest(runner)["parameters"] == {
        "n": 4,
        "factor": 0.5,
        "tags": ["a", "b"],
        "loud": True,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-p", "n=four"],
            "Error: Parameter 'n' of pipeline 'numbers' expects int, not 'four': Input should "
            "be a valid integer",
        ),
        (["-p", "fctor=2"], "has no parameter 'fctor'. Did you mean 'factor'?"),
        (["-p", "factor"], "Parameter 'factor' must be KEY=VALUE"),
        (["--refresh", "totl"], "does not have. Did you mean 'total'?"),
    ],
)
def test_bad_parameters_exit_2_before_anything_runs(
    runner: CliRunner, flow_file: Path, args: list[str], message: str
) -> None:
    code, out, err = invoke(runner, "run", str(flow_file), *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err
    assert "has started" not in out
    assert json.loads(invoke(runner, "runs", "list", "--json")[1])["total"] == 0


def test_missing_file_and_unknown_pipeline_exit_2(runner: CliRunner, flow_file: Path) -> None:
    code, _, err = invoke(runner, "run", str(flow_file.with_name("nope.py")))
    assert code == 2
    assert err.startswith("Error: No such file: ")
    code, _, err = invoke(runner, "run", f"{flow_file}:nmbers")
    assert code == 2
    assert "has no pipeline 'nmbers'. Did you mean 'numbers'?" in err


def test_a_file_with_two_pipelines_needs_a_name(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "cli_two_pipelines.py"
    path.write_text(
        "from stepstone import pipeline, step\n\n"
        "@step\ndef one() -> int:\n    return 1\n\n"
        "@pipeline\ndef alpha():\n    one()\n\n"
        "@pipeline\ndef beta():\n    one()\n"
    )
    code, _, err = invoke(runner, "run", str(path))
    assert code == 2
    assert "defines several pipelines (alpha, beta)" in err
    assert f"stepstone run {path}:alpha" in err
    code, _, err = invoke(runner, "run", f"{path}:beta")
    assert code == 0, err
    assert latest(runner)["pipeline_name"] == "beta"


def test_a_file_that_fails_to_import_is_a_user_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "cli_broken_flow.py"
    path.write_text("import os\nraise RuntimeError('no data folder')\n")
    code, _, err = invoke(runner, "run", str(path))
    assert code == 2
    assert "Cannot load" in err
    assert "RuntimeError: no data folder (line 2)" in err


def test_steps_can_import_modules_beside_the_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "cli_helpers_mod.py").write_text("def double(x):\n    return 2 * x\n")
    path = tmp_path / "cli_uses_helper.py"
    path.write_text(
        "from stepstone import pipeline, step\nfrom cli_helpers_mod import double\n\n"
        "@step\ndef twice(x: int = 2) -> int:\n    return double(x)\n\n"
        "@pipeline\ndef helped(x: int = 2):\n    twice(x=x)\n"
    )
    code, _, err = invoke(runner, "run", str(path), "-p", "x=5")
    assert code == 0, err
    step = latest(runner)["steps"][0]
    assert step["status"] == "completed"


def test_no_cache_executes_every_step(runner: CliRunner, flow_file: Path) -> None:
    assert invoke(runner, "run", str(flow_file))[0] == 0
    code, out, err = invoke(runner, "run", str(flow_file), "--no-cache")
    assert code == 0, err
    assert "Using cached version" not in out
    assert statuses(latest(runner)) == {"load": "completed", "total": "completed"}


def test_refresh_executes_the_named_step_only(runner: CliRunner, flow_file: Path) -> None:
    assert invoke(runner, "run", str(flow_file))[0] == 0
    code, out, err = invoke(runner, "run", str(flow_file), "--refresh", "load")
    assert code == 0, err
    assert "Step `load` has started." in out
    # load produced the same bytes again, so total's inputs did not change: reused.
    assert statuses(latest(runner)) == {"load": "completed", "total": "cached"}
    code, _, err = invoke(runner, "run", str(flow_file), "--refresh", "load,total")
    assert code == 0, err
    assert statuses(latest(runner)) == {"load": "completed", "total": "completed"}


def test_a_failed_run_exits_1_with_the_step_error_and_rerun_command(
    runner: CliRunner, flow_file: Path
) -> None:
    code, out, err = invoke(runner, "run", str(flow_file), "-p", "factor=-1")
    assert code == 1
    assert "Step `total` failed" in out  # the event log, as it happened
    lines = err.strip().splitlines()
    assert lines[0].startswith("Error: Step 'total' failed in run numbers-")
    assert "ValueError: factor must be >= 0, got -1.0" in lines[0]
    assert lines[1].startswith("Traceback and logs: stepstone logs ")
    assert lines[-1].strip() == f"stepstone run {flow_file} -p factor=-1"
    assert "reused from the cache" in err
    assert "Traceback (most recent call last)" not in err
    # The command it names shows the step's traceback.
    logs_command = lines[1].split(": ", 1)[1].split()[2:]
    code, out, _ = invoke(runner, "logs", *logs_command)
    assert code == 0
    assert "Traceback (most recent call last)" in out
    assert "ValueError: factor must be >= 0" in out


def test_debug_lets_a_failed_run_raise(runner: CliRunner, flow_file: Path) -> None:
    result = runner.invoke(app, ["--debug", "run", str(flow_file), "-p", "factor=-1"])
    assert isinstance(result.exception, StepExecutionError)
    assert result.exception.invocation_name == "total"


def test_rerun_command_quotes_what_the_shell_would_split() -> None:
    command = run_module.rerun_command("my flows/a.py:p", ["tags=[1, 2]", "x=1"], no_cache=True)
    assert command == "stepstone run 'my flows/a.py:p' -p 'tags=[1, 2]' -p x=1 --no-cache"


def test_a_terminal_gets_the_live_table_instead_of_the_event_log(
    runner: CliRunner, flow_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "stdout_is_terminal", lambda: True)
    assert invoke(runner, "run", str(flow_file))[0] == 0
    code, out, err = invoke(runner, "run", str(flow_file), "-p", "factor=3")
    assert code == 0, err
    assert "has started." not in out  # not the line-per-event log
    table = out[: out.index("Pipeline run `")]
    assert "step" in table and "status" in table and "saved" in table
    load_row = next(line for line in table.splitlines() if line.strip().startswith("load"))
    total_row = next(line for line in table.splitlines() if line.strip().startswith("total"))
    assert "cached" in load_row and "from numbers-" in load_row
    assert "completed" in total_row
    assert "2/2 steps done, 1 cached" in out
    assert "has finished in" in out  # the summary line after the table
