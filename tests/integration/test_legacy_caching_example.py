"""The class-based caching example end to end: pulled, run as ``python run.py`` on a real
home, twice; the second run reuses importer and normalizer. Judged by what was recorded."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
if not all(importlib.util.find_spec(name) for name in ("keras", "torch")):
    pytest.skip("the example trains with Keras on the torch backend", allow_module_level=True)

from typer.testing import CliRunner

from shared_fixtures import SRC
from stepstone import Client
from stepstone.cli.app import app
from stepstone.examples import get_example, pull_example

pytestmark = pytest.mark.slow


def test_pull_legacy_replaces_run_and_readme_beside_the_shared_modules(tmp_path: Path) -> None:
    copied = pull_example("caching", tmp_path, legacy=True)
    assert sorted(p.name for p in copied) == [
        "README.md",
        "data.py",
        "frameworks.py",
        "idx.py",
        "run.py",
    ]
    legacy = get_example("caching").path / "legacy"
    assert (tmp_path / "run.py").read_text() == (legacy / "run.py").read_text()
    assert "BaseStepConfig" in (tmp_path / "run.py").read_text()
    assert "class-based" in (tmp_path / "README.md").read_text()


def test_cli_pull_legacy_lands_beside_the_modern_copy(tmp_path: Path) -> None:
    runner = CliRunner()
    for extra in ([], ["--legacy"]):
        result = runner.invoke(app, ["example", "pull", "caching", "--path", str(tmp_path), *extra])
        assert result.exit_code == 0, result.output
    assert "Output(" in (tmp_path / "caching_legacy" / "run.py").read_text()
    assert "Output(" not in (tmp_path / "caching" / "run.py").read_text()


def test_cli_run_legacy_takes_no_example_options() -> None:
    result = CliRunner().invoke(
        app, ["example", "run", "caching", "--legacy", "--framework", "torch"]
    )
    assert result.exit_code == 2
    assert "--legacy takes none of the options --framework" in result.stderr


def test_the_pulled_copy_runs_twice_and_reuses_importer_and_normalizer(
    tmp_path: Path, isolated_home: Path
) -> None:
    folder = tmp_path / "caching_legacy"
    pull_example("caching", folder, legacy=True)
    environment = {**os.environ, "PYTHONPATH": SRC, "STEPSTONE_HOME": str(isolated_home)}
    result = subprocess.run(
        [sys.executable, "run.py"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Run 1 (epochs=5): reused nothing" in result.stdout
    assert "Run 2 (epochs=10): reused importer, normalizer;" in result.stdout

    runs = Client().get_pipeline("mnist_pipeline_legacy").runs
    second, first = runs[0], runs[1]
    assert {n: s.status for n, s in first.steps.items()} == dict.fromkeys(
        ["importer", "normalizer", "trainer", "evaluator"], "completed"
    )
    assert {n: s.status for n, s in second.steps.items()} == {
        "importer": "cached",
        "normalizer": "cached",
        "trainer": "completed",
        "evaluator": "completed",
    }
    assert second.steps["importer"].cached_from == first.steps["importer"].id
    assert second.steps["trainer"].definition_name == "keras_trainer"
    assert second.steps["trainer"].config.parameters["config"] == {"epochs": 10, "lr": 0.001}
    reasons = [r.message for r in second.steps["trainer"].explain().reasons]
    assert any("parameter config" in reason and "10" in reason for reason in reasons)
    assert 0.0 <= second.steps["evaluator"].output.load() <= 1.0


def test_the_packaged_variant_imports_beside_its_shared_modules() -> None:
    import importlib

    module = importlib.import_module(get_example("caching").module_for(legacy=True))
    instance = module.mnist_pipeline(
        importer=module.importer_mnist(),
        normalizer=module.normalizer(),
        trainer=module.keras_trainer(config=module.TrainerConfig(epochs=2)),
        evaluator=module.keras_evaluator(),
    )
    assert instance.as_pipeline().trace().order == (
        "importer",
        "normalizer",
        "trainer",
        "evaluator",
    )
    assert module.mnist_pipeline.required_integrations == ("keras", "sklearn")
