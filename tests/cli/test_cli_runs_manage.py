"""``stepstone runs compare`` and ``stepstone runs delete``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from stepstone.cli.app import app
from stepstone.client import Client
from stepstone.metadata.records import PipelineRunRecord

from .pipelines import RecordedRuns, numbers_pipeline


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- compare ----------------------------------------------------------------------------------


def test_compare_json_gives_a_verdict_and_reasons_per_step(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    first, second = recorded_runs.first, recorded_runs.second
    code, out, err = invoke(runner, "runs", "compare", first.id, second.name, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["a"]["id"] == first.id
    assert document["b"]["id"] == second.id
    assert document["parameters"] == [{"name": "factor", "a": 1, "b": 2, "changed": True}]
    steps = {step["name"]: step for step in document["steps"]}
    assert steps["load_numbers"]["verdict"] == "same"
    assert steps["load_numbers"]["status_b"] == "cached"
    assert steps["load_numbers"]["key_changed"] is False
    assert steps["load_numbers"]["source"]["run_name"] == first.name
    rerun = steps["scale_total"]
    assert rerun["verdict"] == "re-ran"
    assert rerun["key_changed"] is True
    assert rerun["outputs_changed"] is True
    assert rerun["duration_a"] == first.steps["scale_total"].duration
    assert [(r["kind"], r["message"]) for r in rerun["reasons"]] == [
        ("parameter", "parameter factor: 1 → 2")
    ]
    assert document["summary"] == {"same": 1, "cached": 0, "re-ran": 1, "added": 0, "removed": 0}


def test_compare_table_names_the_reasons(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    third = numbers_pipeline(factor=1)  # scale_total comes back from the first run's cache
    code, out, err = invoke(runner, "runs", "compare", recorded_runs.second.id, third.id)
    assert code == 0, err
    assert recorded_runs.second.name in out and third.name in out
    rows = {
        line.split()[0]: line for line in out.splitlines() if line.strip()[:5] in ("load_", "scale")
    }
    assert "same" in rows["load_numbers"]
    assert "cached" in rows["scale_total"].split()[3]
    assert "parameter factor: 2 → 1" in out
    assert f"reused from run {recorded_runs.first.name}" in out
    assert "1 same, 1 cached" in out


def test_compare_with_an_unknown_run_exits_2(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "runs", "compare", "latest", "no-such-run")
    assert code == 2
    assert out == ""
    assert "No run matches 'no-such-run'" in err


# -- delete -----------------------------------------------------------------------------------


def _files(uri: str) -> Path:
    return Path(uri)


def test_delete_removes_the_run_and_files_only_it_used(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    first, second = recorded_runs.first, recorded_runs.second
    own_output = second.steps["scale_total"].output
    shared = first.steps["load_numbers"].output  # reused by second's cached step
    code, out, err = invoke(runner, "runs", "delete", second.name)
    assert code == 0, err
    assert f"Deleted run {second.name}: 2 step run(s)" in out
    assert "freeing" in out
    assert not _files(own_output.uri).exists()
    assert _files(shared.uri).exists()
    listed = json.loads(invoke(runner, "runs", "list", "--json")[1])
    assert [run["id"] for run in listed["runs"]] == [first.id]


def test_delete_keeps_artifacts_a_later_run_reused(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    first, second = recorded_runs.first, recorded_runs.second
    code, out, err = invoke(runner, "runs", "delete", first.id[:10], "--json")
    assert code == 0, err
    (deleted,) = json.loads(out)["deleted"]
    assert deleted["run_id"] == first.id
    assert deleted["step_runs"] == 2
    assert deleted["files_deleted"] == 1  # first's scale_total output; load_numbers' is shared
    assert deleted["bytes_freed"] > 0
    survivor = Client().get_run(second.id)
    assert survivor.steps["load_numbers"].output.load() == [1, 2, 3, 4]


def test_delete_resolves_every_run_before_deleting_any(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, _, err = invoke(runner, "runs", "delete", recorded_runs.first.id, "no-such-run")
    assert code == 2
    assert "No run matches 'no-such-run'" in err
    assert json.loads(invoke(runner, "runs", "list", "--json")[1])["total"] == 2


def test_delete_refuses_a_running_run_unless_forced(runner: CliRunner) -> None:
    record = PipelineRunRecord(
        id=uuid.uuid4().hex,
        name="crashed-run",
        pipeline_name="numbers_pipeline",
        status="running",
        started_at=datetime.now(UTC),
        ended_at=None,
    )
    Client().stores.metadata.create_run(record)
    code, _, err = invoke(runner, "runs", "delete", "crashed-run")
    assert code == 2
    assert "Run crashed-run is still running" in err
    assert "--force" in err
    code, out, err = invoke(runner, "runs", "delete", "crashed-run", "--force")
    assert code == 0, err
    assert "Deleted run crashed-run" in out
