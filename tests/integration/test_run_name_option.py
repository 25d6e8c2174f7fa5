"""``with_options(run_name=...)``: ZenML's way to name runs, placeholders included."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepstone import Client, PipelineDefinitionError, pipeline, step


@step
def one() -> int:
    return 1


@pipeline
def naming() -> None:
    one()


def test_a_run_name_with_placeholders_names_each_run() -> None:
    run = naming.with_options(run_name="nightly_{date}_{time}")()
    assert run.name == f"nightly_{run.started_at:%Y_%m_%d_%H_%M_%S_%f}"
    assert Client().get_pipeline_run(run.name).id == run.id
    assert naming.with_options(run_name="nightly_{date}_{time}")().steps["one"].status == "cached"


def test_a_fixed_run_name_works_once_then_says_how_to_vary_it() -> None:
    configured = naming.with_options(run_name="release")
    assert configured().name == "release"
    with pytest.raises(
        PipelineDefinitionError, match=r"a run named 'release' already exists.*\{time\}"
    ):
        configured()
    assert [r.name for r in Client().list_runs()] == ["release"]


def test_an_unknown_placeholder_is_refused_when_configured() -> None:
    with pytest.raises(
        PipelineDefinitionError, match=r"placeholder other than \{date\} and \{time\}"
    ):
        naming.with_options(run_name="run_{experiment}")
    with pytest.raises(PipelineDefinitionError, match="run_name takes a non-empty text"):
        naming.configure(run_name="")
    with pytest.raises(PipelineDefinitionError, match="Did you mean 'run_name'"):
        naming.with_options(runname="x")


def test_the_option_beats_a_yaml_files_run_name(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    config = tmp_path / "config.yaml"
    config.write_text("run_name: from_file_{time}\n")
    from_file = naming.with_options(config_path=config)()
    assert from_file.name.startswith("from_file_")
    both = naming.with_options(config_path=config, run_name="from_code_{time}")()
    assert both.name.startswith("from_code_")
