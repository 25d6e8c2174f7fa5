"""``stepstone artifacts list|show|export``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone.cli.app import app
from stepstone.exceptions import CacheMissWarning

from .pipelines import RecordedRuns, numbers_pipeline


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_artifacts_with_their_producers(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    code, out, err = invoke(runner, "artifacts", "list")
    assert code == 0, err
    first, second = recorded_runs.first, recorded_runs.second
    numbers = first.steps["load_numbers"].output
    assert numbers.id[:12] in out
    assert f"load_numbers @ {first.name}" in out
    assert f"scale_total @ {second.name}" in out
    assert "Details: stepstone artifacts show ID" in out


def test_list_json_and_run_filter(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "artifacts", "list", "--json")
    assert code == 0, err
    artifacts = json.loads(out)["artifacts"]
    assert len(artifacts) == 3  # two scale_total outputs, one shared load_numbers output
    second = recorded_runs.second
    code, out, _ = invoke(runner, "artifacts", "list", "--run", second.id, "--json")
    ids = {a["id"] for a in json.loads(out)["artifacts"]}
    assert ids == {
        second.steps["load_numbers"].output.id,  # used (from the cache), not produced
        second.steps["scale_total"].output.id,
    }
    produced = next(
        a for a in json.loads(out)["artifacts"] if a["producer"]["invocation_name"] == "scale_total"
    )
    assert produced["producer"]["run_name"] == second.name
    assert produced["summary"]


def test_show_gives_type_size_producer_and_consumers(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    numbers = recorded_runs.first.steps["load_numbers"].output
    code, out, err = invoke(runner, "artifacts", "show", numbers.id[:10])
    assert code == 0, err
    assert numbers.id in out
    assert numbers.data_type in out
    assert f"{numbers.size} bytes" in out
    assert f"load_numbers @ {recorded_runs.first.name}" in out
    assert "Summary" in out
    assert "Reused by (cached)" in out
    assert "Consumed by" in out
    assert recorded_runs.second.name in out


def test_show_json_lists_the_lineage(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    numbers = recorded_runs.first.steps["load_numbers"].output
    code, out, _ = invoke(runner, "artifacts", "show", numbers.content_hash[:16], "--json")
    assert code == 0
    document = json.loads(out)
    assert document["id"] == numbers.id
    consumers = [
        (link["invocation_name"], link["name"], link["run_id"])
        for link in document["lineage"]
        if link["direction"] == "input"
    ]
    assert sorted(consumers) == sorted(
        [
            ("scale_total", "numbers", recorded_runs.first.id),
            ("scale_total", "numbers", recorded_runs.second.id),
        ]
    )
    roles = {(link["role"], link["run_id"]) for link in document["lineage"]}
    assert roles == {
        ("producer", recorded_runs.first.id),  # load_numbers executed in the first run
        ("reused", recorded_runs.second.id),  # and was cached in the second
        ("consumer", recorded_runs.first.id),
        ("consumer", recorded_runs.second.id),
    }
    assert document["producer"] == {
        "step_run_id": numbers.producer_step_run_id,
        "invocation_name": "load_numbers",
        "run_id": recorded_runs.first.id,
        "run_name": recorded_runs.first.name,
    }


def test_unknown_artifact_is_a_user_error(runner: CliRunner, recorded_runs: RecordedRuns) -> None:
    code, out, err = invoke(runner, "artifacts", "show", "ffffffffff")
    assert code == 2
    assert out == ""
    assert "No single artifact matches 'ffffffffff'" in err


def test_export_copies_the_stored_files(
    runner: CliRunner, recorded_runs: RecordedRuns, tmp_path: Path
) -> None:
    numbers = recorded_runs.first.steps["load_numbers"].output
    target = tmp_path / "exported"
    code, out, err = invoke(runner, "artifacts", "export", numbers.id, str(target))
    assert code == 0, err
    files = sorted(p.name for p in target.iterdir())
    assert files
    assert f"Exported {len(files)} file(s)" in out
    stored = Path(numbers.uri)
    for name in files:
        assert (target / name).read_bytes() == (stored / name).read_bytes()
    code, _, err = invoke(runner, "artifacts", "export", numbers.id, str(target))
    assert code == 2
    assert "is not empty" in err
    assert invoke(runner, "artifacts", "export", numbers.id, str(target), "--force")[0] == 0


def test_export_refuses_damaged_bytes_and_says_how_to_recompute(
    runner: CliRunner, recorded_runs: RecordedRuns, tmp_path: Path
) -> None:
    numbers = recorded_runs.first.steps["load_numbers"].output
    data = Path(numbers.uri) / "data.json"
    original = data.read_bytes()
    time.sleep(0.01)  # a new ctime even on coarse-clocked file systems
    data.write_bytes(original.replace(b"1", b"9"))  # same size, different bytes
    target = tmp_path / "exported"
    code, out, err = invoke(runner, "artifacts", "export", numbers.id, str(target))
    assert code == 1
    assert "Exported" not in out
    assert "Nothing was exported" in err
    assert "'data.json' its bytes do not match" in err
    assert "run pipeline 'numbers_pipeline' again" in err
    assert "step 'load_numbers'" in err
    assert not target.exists() or not any(target.rglob("*.json"))
    # The damaged copy is gone, so the next run recomputes it and export works again.
    assert not data.exists()
    with pytest.warns(CacheMissWarning, match="load_numbers"):
        rerun = numbers_pipeline(factor=1)
    assert rerun.steps["load_numbers"].status == "completed"
    code, _, err = invoke(runner, "artifacts", "export", numbers.id, str(target))
    assert code == 0, err
    assert (target / "data.json").read_bytes() == original


def test_list_by_name_shows_the_versions_of_that_name(runner: CliRunner) -> None:
    from stepstone import save_artifact

    save_artifact([1], name="iris_dataset", tags=["raw"])
    save_artifact([1, 2], name="iris_dataset", version="gold")
    code, out, err = invoke(runner, "artifacts", "list", "--name", "iris_dataset")
    assert code == 0, err
    assert "Versions of iris_dataset" in out
    assert out.index("gold") < out.index(" 1 ")  # newest first
    assert "save_artifact" in out and "raw" in out
    code, out, err = invoke(runner, "artifacts", "list", "--name", "iris_dataset", "--json")
    document = json.loads(out)
    assert [v["version"] for v in document["versions"]] == ["gold", "1"]
    assert document["versions"][1]["tags"] == ["raw"]
    assert document["versions"][0]["artifact_name"] == "iris_dataset"


def test_list_by_an_unknown_name_suggests_a_recorded_one(runner: CliRunner) -> None:
    from stepstone import save_artifact

    save_artifact([1], name="iris_dataset")
    code, _, err = invoke(runner, "artifacts", "list", "--name", "iris_datset")
    assert code == 2
    assert "No artifact named 'iris_datset' has versions. Did you mean 'iris_dataset'?" in err
    code, _, err = invoke(runner, "artifacts", "list", "--name", "x", "--run", "latest")
    assert code == 2 and "leave out --run" in err


def test_list_and_show_name_the_version_of_each_output(
    runner: CliRunner, recorded_runs: RecordedRuns
) -> None:
    numbers = recorded_runs.first.steps["load_numbers"].output
    code, out, err = invoke(runner, "artifacts", "list", "--json")
    assert code == 0, err
    by_id = {a["id"]: a for a in json.loads(out)["artifacts"]}
    assert by_id[numbers.id]["version"] == "1"
    assert by_id[numbers.id]["artifact_name"].endswith("::load_numbers::output")
    code, out, err = invoke(runner, "artifacts", "show", numbers.id)
    assert code == 0, err
    assert "::load_numbers::output version 1 (DataArtifact)" in out
