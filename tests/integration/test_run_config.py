"""YAML run configuration end to end: with_options(config_path=...), stepstone run --config,
what is recorded, precedence, and bad files, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone import Client, PipelineDefinitionError, pipeline, step
from stepstone.cli.app import app
from stepstone.exceptions import RunConfigError


@step
def load(rows: int = 3) -> list:
    return list(range(rows))


@step
def train(data: list, lr: float = 0.1) -> float:
    return sum(data) * lr


@pipeline(enable_cache=False)
def training(rows: int = 3) -> None:
    data = load(rows=rows)
    train(data)


CONFIG = """\
enable_cache: true          # beats the decorator's false
run_name: nightly-{date}
model:
  name: classifier
parameters:
  rows: 5
settings:
  resources: {memory: 1GB}
steps:
  train:
    parameters:
      lr: 0.5
    extra: {owner: vision}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs recorded in the test's home (SQLite) or in a fresh PostgreSQL schema."""
    if request.param == "postgres":
        monkeypatch.setenv("STEPSTONE_METADATA_URL", request.getfixturevalue("postgres_url"))
    return str(request.param)


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_config_file_configures_the_run_and_is_recorded(store: str, tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    run = training.with_options(config_path=path)()
    assert run.name.startswith("nightly-") and "-" not in run.name.removeprefix("nightly-")
    assert run.steps["train"].output.load() == 5.0  # rows from the file, lr from its step
    assert run.config.parameters == {"rows": 5}
    assert run.config.settings == {"resources": {"memory": "1GB"}}
    assert run.steps["train"].config.extra == {"owner": "vision"}
    assert run.steps["train"].config.parameters["lr"] == 0.5

    stored = Client().get_pipeline_run(run.id)
    assert stored.config.run_config == {
        "path": str(path),
        "yaml": CONFIG,
        "model": {"name": "classifier"},
    }
    # The file's run_name has no {time}: taken by the first run, the second is refused.
    with pytest.raises(RunConfigError, match=r"run_name: a run named 'nightly-.*' already exists"):
        training.with_options(config_path=path)()
    assert Client().list_pipeline_runs().total == 1


def test_code_given_with_the_file_wins_and_the_decorator_loses(tmp_path: Path) -> None:
    path = write(tmp_path, "enable_cache: true\nparameters: {rows: 2}\n")
    training.with_options(config_path=path)()
    cached = training.with_options(config_path=path)()
    assert {s.status for s in cached.steps.values()} == {"cached"}
    uncached = training.with_options(config_path=path, enable_cache=False)()
    assert {s.status for s in uncached.steps.values()} == {"completed"}
    later = training.with_options(config_path=path).with_options(enable_cache=False)()
    assert {s.status for s in later.steps.values()} == {"completed"}


def test_a_parameter_in_the_file_and_in_code_is_an_error_naming_both(tmp_path: Path) -> None:
    path = write(tmp_path, "parameters: {rows: 5}\n")
    configured = training.with_options(config_path=path)
    with pytest.raises(PipelineDefinitionError, match=rf"configured as 5 in {path}.*call as 4"):
        configured(rows=4)
    assert configured(rows=5).config.parameters == {"rows": 5}  # the same value is no conflict


def test_a_step_parameter_in_the_file_and_in_the_call_is_an_error(tmp_path: Path) -> None:
    @pipeline
    def fixed() -> None:
        train(load(), lr=0.2)

    path = write(tmp_path, "steps:\n  train:\n    parameters: {lr: 0.5}\n")
    with pytest.raises(Exception, match=r"'lr' is configured as 0.5 but the call passes 0.2"):
        fixed.with_options(config_path=path)()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("enable_cach: true\n", r"enable_cach: unknown key.*Did you mean 'enable_cache'"),
        ("enable_cache: maybe\n", r"enable_cache: takes true or false, not 'maybe' \(str\)"),
        ("parameters: {rows: ten}\n", r"parameters.rows: 'ten' is text, not int"),
        ("parameters: {rows: [1]}\n", r"parameters.rows: \[1\] \(list\) is not a valid int"),
        ("parameters: {row: 2}\n", r"parameters.row: .*no argument 'row'.*Did you mean 'rows'"),
        ("parameters: [1, 2]\n", r"parameters: takes a mapping"),
        ("steps:\n  trian: {}\n", r"steps.trian: the pipeline has no step 'trian'.*'train'"),
        ("steps:\n  train: {enable_cahe: 1}\n", r"steps.train.enable_cahe: unknown key"),
        ("steps:\n  train:\n    parameters: {lr: fast}\n", r"steps.train.parameters.lr: 'fast'"),
        ("run_name: 3\n", r"run_name: takes text, not 3"),
        ("run_name: 'x-{day}'\n", r"run_name: .*placeholder other than"),
        ("model: {version: 2}\n", r"model.name: needs the model's name"),
        ("- a\n- b\n", r"holds list, not a mapping"),
        ("a: [\n", r"is not valid YAML"),
    ],
)
def test_bad_files_are_refused_naming_the_file_key_and_value(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RunConfigError, match=message) as info:
        training.with_options(config_path=path)()
    assert str(info.value).startswith(f"{path}: ")
    assert Client().list_pipeline_runs().total == 0  # nothing ran


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(RunConfigError, match=r"nothere.yaml: cannot be read"):
        training.with_options(config_path=tmp_path / "nothere.yaml")


def test_the_template_lists_every_option_and_loads_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    training.write_run_configuration_template(path)
    text = path.read_text(encoding="utf-8")
    for option in ("enable_cache:", "enable_step_logs:", "run_name:", "model:", "settings:"):
        assert option in text
    assert "  load:" in text and "  train:" in text
    assert "# rows: 3   # int" in text and "# lr: 0.1   # float" in text
    run = training.with_options(config_path=path)()
    assert run.config.parameters == {"rows": 3}
    assert {s.status for s in run.steps.values()} == {"completed"}


FLOW = """\
from stepstone import pipeline, step

@step
def load(rows: int = 3) -> list:
    return list(range(rows))

@step
def train(data: list, lr: float = 0.1) -> float:
    return sum(data) * lr

@pipeline
def training(rows: int = 3) -> None:
    train(load(rows=rows))
"""


def test_stepstone_run_config_records_the_file_for_runs_show(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    flow = write(tmp_path, FLOW, "flow.py")
    config = write(tmp_path, "parameters: {rows: 4}\nsteps:\n  train:\n    enable_cache: false\n")
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(flow), "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, ["run", str(flow), "--config", str(config)])
    shown = runner.invoke(app, ["runs", "show", "latest", "--json"])
    document = json.loads(shown.stdout)
    assert document["parameters"] == {"rows": 4}
    assert {s["name"]: s["status"] for s in document["steps"]} == {
        "load": "cached",
        "train": "completed",
    }
    assert document["config"]["run_config"]["path"] == str(config)
    assert "enable_cache: false" in document["config"]["run_config"]["yaml"]
    text = runner.invoke(app, ["runs", "show", "latest"]).stdout
    assert "Run config" in text and str(config) in text and "rows: 4" in text

    conflict = runner.invoke(app, ["run", str(flow), "--config", str(config), "-p", "rows=2"])
    assert conflict.exit_code == 2
    assert "configured as 4 in" in conflict.stderr
    bad = write(tmp_path, "steps:\n  trainer: {}\n", "bad.yaml")
    refused = runner.invoke(app, ["run", str(flow), "--config", str(bad)])
    assert refused.exit_code == 2
    assert "steps.trainer: the pipeline has no step 'trainer'" in refused.stderr


def test_the_dashboard_run_page_shows_the_file(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from stepstone.dashboard import create_app

    path = write(tmp_path, "parameters: {rows: 2}\nextra: {note: '<b>x</b>'}\n")
    run = training.with_options(config_path=path)()
    with TestClient(create_app(Client())) as api:
        page = api.get(f"/runs/{run.id}").text
        document = api.get(f"/api/v1/runs/{run.id}").json()
    assert "Run configuration" in page and str(path) in page
    assert "parameters: {rows: 2}" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert document["run"]["config"]["run_config"]["yaml"].startswith("parameters: {rows: 2}")
    plain = training()
    with TestClient(create_app(Client())) as api:
        assert "Run configuration" not in api.get(f"/runs/{plain.id}").text
