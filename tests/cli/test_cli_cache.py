"""``stepstone cache list|clear|prune`` and ``stepstone gc``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone.cli.app import app
from stepstone.client import Client
from stepstone.metadata.records import PipelineRunRecord

from .pipelines import RecordedRuns, numbers_pipeline, other_pipeline


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def entries(runner: CliRunner, *filters: str) -> list[dict]:
    code, out, err = invoke(runner, "cache", "list", "--json", *filters)
    assert code == 0, err
    return json.loads(out)["entries"]


# -- list -------------------------------------------------------------------------------------


def test_list_shows_what_later_runs_can_reuse(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "cache", "list")
    assert code == 0, err
    assert "load_numbers" in out and "scale_total" in out
    assert recorded_runs.first.name in out
    listed = entries(runner)
    assert sorted(e["invocation_name"] for e in listed) == [
        "load_numbers",
        "scale_total",
        "scale_total",
    ]
    assert all(e["pipeline_name"] == "numbers_pipeline" for e in listed)
    assert {e["run_id"] for e in entries(runner, "--step", "load_numbers")} == {
        recorded_runs.first.id
    }


def test_list_filter_typo_suggests_a_name(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, _ = invoke(runner, "cache", "list", "--step", "scale_totl")
    assert code == 0
    assert "No cache entries match. Did you mean 'scale_total'?" in out


# -- clear and prune --------------------------------------------------------------------------


def test_clear_a_step_makes_the_next_run_execute_it(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "cache", "clear", "--step", "scale_total")
    assert code == 0, err
    assert "Removed 2 cache entries of step 'scale_total'" in out
    assert [e["invocation_name"] for e in entries(runner)] == ["load_numbers"]
    rerun = numbers_pipeline(factor=2)
    assert rerun.steps["scale_total"].status == "completed"
    assert rerun.steps["load_numbers"].status == "cached"


def test_clear_by_pipeline_and_all(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    other_pipeline()  # its load_numbers is reused from numbers_pipeline: no entry of its own
    numbers_pipeline.with_options(name="renamed")(factor=5)
    assert invoke(runner, "cache", "clear", "--pipeline", "renamed")[0] == 0
    assert {e["pipeline_name"] for e in entries(runner)} == {"numbers_pipeline"}
    code, out, _ = invoke(runner, "cache", "clear", "--all")
    assert code == 0
    assert "Removed 3 cache entries." in out
    assert entries(runner) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Say what to clear: --step STEP, --pipeline PIPELINE, or --all."),
        (["--all", "--step", "x"], "--all clears everything"),
        (["--step", "scale_totl"], "No cache entries for step 'scale_totl'. Did you mean"),
        (["--pipeline", "numbers"], "No cache entries for pipeline 'numbers'. Did you mean"),
    ],
)
def test_clear_mistakes_exit_2(
    runner: CliRunner, recorded_runs: RecordedRuns, args: list[str], message: str
) -> None:
    code, out, err = invoke(runner, "cache", "clear", *args)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(entries(runner)) == 3


def test_prune_by_age(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "cache", "prune", "--older-than", "30d")
    assert code == 0, err
    assert "Removed 0 cache entries created before" in out
    assert len(entries(runner)) == 3
    code, out, _ = invoke(runner, "cache", "prune", "--older-than", "0s")
    assert code == 0
    assert "Removed 3 cache entries" in out
    assert entries(runner) == []


def test_prune_rejects_a_malformed_duration(runner: CliRunner) -> None:
    code, _, err = invoke(runner, "cache", "prune", "--older-than", "a month")
    assert code == 2
    assert "'a month' is not a duration" in err
    assert "30d, 12h, 90m" in err


# -- gc ---------------------------------------------------------------------------------------


def _orphan() -> Path:
    """An artifact stored with no record pointing at it (as a crash between the two leaves)."""
    stored = Client().stores.artifacts.save({"orphan": list(range(100))})
    return Path(stored.uri)


def test_gc_with_nothing_to_collect(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "gc")
    assert code == 0, err
    assert "Nothing to collect" in out


def test_gc_dry_run_then_collect(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    orphan = _orphan()
    kept = Path(recorded_runs.first.steps["load_numbers"].output.uri)
    code, out, err = invoke(runner, "gc", "--dry-run", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] is True
    assert report["artifacts"] == 1
    assert report["content_hashes"] == [orphan.name]
    assert report["bytes"] > 0
    assert orphan.exists()
    code, out, _ = invoke(runner, "gc")
    assert code == 0
    assert f"Deleted 1 unreferenced artifact(s), freed {report['bytes']} B" in out
    assert not orphan.exists()
    assert kept.exists()
    assert Client().get_run(recorded_runs.second.id).steps["scale_total"].output.load() == 20


def test_gc_after_deleting_a_run_frees_nothing_twice(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    assert invoke(runner, "runs", "delete", recorded_runs.second.id)[0] == 0
    assert "Nothing to collect" in invoke(runner, "gc")[1]


def test_gc_refuses_while_a_run_is_in_progress(runner: CliRunner) -> None:
    orphan = _orphan()
    Client().stores.metadata.create_run(
        PipelineRunRecord(uuid.uuid4().hex, "live-run", "p", "running", datetime.now(UTC), None)
    )
    code, _, err = invoke(runner, "gc")
    assert code == 2
    assert "1 run(s) in progress (live-run)" in err
    assert orphan.exists()
    code, out, _ = invoke(runner, "gc", "--dry-run")
    assert code == 0
    assert "in progress" in out and "Would delete 1" in out
    code, out, _ = invoke(runner, "gc", "--force")
    assert code == 0
    assert not orphan.exists()
