"""``stepstone runs list`` and ``stepstone runs show``: tables, JSON, filters and mistakes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stepstone.cli.app import app

from .pipelines import RecordedRuns, other_pipeline


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- runs list --------------------------------------------------------------------------------


def test_list_with_no_runs_says_so(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "runs", "list")
    assert code == 0
    assert "No runs recorded yet." in out


def test_list_shows_runs_newest_first(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "runs", "list")
    assert code == 0, err
    first, second = recorded_runs.first, recorded_runs.second
    assert first.name in out and second.name in out
    assert out.index(second.name) < out.index(first.name)
    assert second.id[:8] in out
    assert "2 (1 cached)" in out
    assert "completed" in out


def test_list_json_parses(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "runs", "list", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["total"] == 2
    runs = document["runs"]
    assert [run["id"] for run in runs] == [recorded_runs.second.id, recorded_runs.first.id]
    newest = runs[0]
    assert newest["pipeline_name"] == "numbers_pipeline"
    assert newest["status"] == "completed"
    assert newest["parameters"] == {"factor": 2}
    assert newest["step_count"] == 2
    assert newest["cached_count"] == 1
    assert newest["duration"] >= 0


def test_list_fits_a_narrow_terminal(
    runner: CliRunner, recorded_runs: RecordedRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = invoke(runner, "runs", "list")
    assert code == 0
    assert all(len(line) <= 80 for line in out.splitlines())
    assert recorded_runs.second.id[:8] in out  # ids and statuses never wrap
    assert "2 (1 cached)" in out


def test_list_limit_says_how_many_more(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, _ = invoke(runner, "runs", "list", "--limit", "1")
    assert code == 0
    assert recorded_runs.second.name in out
    assert recorded_runs.first.name not in out
    assert "Showing the newest 1 of 2 runs" in out
    document = json.loads(invoke(runner, "runs", "list", "-n", "1", "--json")[1])
    assert document["total"] == 2
    assert len(document["runs"]) == 1


def test_list_filters_by_pipeline(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    other = other_pipeline()
    code, out, _ = invoke(runner, "runs", "list", "--pipeline", "other_pipeline", "--json")
    assert code == 0
    assert [run["id"] for run in json.loads(out)["runs"]] == [other.id]
    code, out, _ = invoke(runner, "runs", "list", "-p", "numbers_pipeline")
    assert recorded_runs.first.name in out
    assert other.name not in out


def test_list_suggests_a_pipeline_for_a_typo(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, _ = invoke(runner, "runs", "list", "--pipeline", "number_pipeline")
    assert code == 0
    assert "No runs match these filters." in out
    assert "Did you mean 'numbers_pipeline'?" in out


def test_list_filters_by_status(
    runner: CliRunner, recorded_runs: RecordedRuns, failed_run_id: str
) -> None:
    code, out, _ = invoke(runner, "runs", "list", "--status", "failed", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["total"] == 1
    assert [run["id"] for run in document["runs"]] == [failed_run_id]
    assert document["runs"][0]["status"] == "failed"


def test_list_rejects_an_unknown_status(runner: CliRunner) -> None:
    result = runner.invoke(app, ["runs", "list", "--status", "finished"])
    assert result.exit_code == 2
    assert "finished" in result.stderr
    assert "completed" in result.stderr  # the valid choices are listed


# -- runs show --------------------------------------------------------------------------------


def test_show_latest_lists_steps_with_cache_source_and_outputs(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "runs", "show", "latest")
    assert code == 0, err
    first, second = recorded_runs.first, recorded_runs.second
    assert second.name in out
    assert second.id in out
    assert "factor=2" in out
    assert "load_numbers" in out and "scale_total" in out
    assert "cached" in out
    assert first.name in out  # load_numbers was cached from the first run
    total = second.steps["scale_total"].output
    assert total.data_type.rsplit(".", 1)[-1] in out  # "int", without its module
    assert total.content_hash[:12] in out
    assert total.content_hash not in out  # a prefix is enough in a table


def test_show_accepts_id_prefix_and_name(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    first = recorded_runs.first
    for query in (first.id, first.id[:10], first.name):
        code, out, err = invoke(runner, "runs", "show", query, "--json")
        assert code == 0, err
        assert json.loads(out)["id"] == first.id


def test_show_json_parses_with_steps(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "runs", "show", recorded_runs.second.id, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["name"] == recorded_runs.second.name
    steps = {step["name"]: step for step in document["steps"]}
    assert list(steps) == ["load_numbers", "scale_total"]
    loaded = steps["load_numbers"]
    assert loaded["status"] == "cached"
    source = recorded_runs.first.steps["load_numbers"]
    assert loaded["cached_from"] == {
        "step_run_id": source.id,
        "step": "load_numbers",
        "run_id": recorded_runs.first.id,
        "run_name": recorded_runs.first.name,
        "duration": source.duration,
        "remote": None,  # executed against this store, not imported from a remote
    }
    total = steps["scale_total"]
    assert total["status"] == "completed"
    assert total["cached_from"] is None
    assert total["parameters"] == {"factor": 2}
    [output] = total["outputs"]
    assert output["name"] == "output"
    assert output["content_hash"] == recorded_runs.second.steps["scale_total"].output.content_hash
    assert output["size"] > 0
    assert output["data_type"]


def test_show_failed_run_prints_the_error(runner: CliRunner, failed_run_id: str) -> None:
    code, out, err = invoke(runner, "runs", "show", failed_run_id)
    assert code == 0, err
    assert "failed" in out
    assert "factor must be positive, got -1" in out


def test_show_unknown_run_suggests_a_close_name(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    typo = recorded_runs.first.name[:-1] + "x"
    code, out, err = invoke(runner, "runs", "show", typo)
    assert code == 2
    assert out == ""
    assert f"No run matches '{typo}'. Did you mean '{recorded_runs.first.name}'" in err
    assert "Traceback" not in err


def test_show_latest_without_runs_is_a_user_error(runner: CliRunner) -> None:
    code, _, err = invoke(runner, "runs", "show", "latest")
    assert code == 2
    assert "No run matches 'latest'" in err
    assert "no runs are recorded yet" in err


def test_show_prints_and_dumps_the_recorded_settings_and_extra(runner: CliRunner) -> None:
    from .pipelines import numbers_pipeline

    configured = numbers_pipeline.with_options(
        settings={"resources": {"memory": "1GB"}}, extra={"owner": "data-team"}
    )
    run = configured(factor=1)
    code, out, err = invoke(runner, "runs", "show", run.id)
    assert code == 0, err
    assert "Settings" in out and "'memory': '1GB'" in out
    assert "Extra" in out and "owner='data-team'" in out
    code, out, err = invoke(runner, "runs", "show", run.id, "--json")
    config = json.loads(out)["config"]
    assert config["extra"] == {"owner": "data-team"}
    assert config["steps"]["load_numbers"]["settings"] == {"resources": {"memory": "1GB"}}
