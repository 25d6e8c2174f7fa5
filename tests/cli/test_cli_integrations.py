"""``stepstone integration list|install``: the package's extras, checked by what they import."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone.artifacts.catalog import LAZY_MATERIALIZERS
from stepstone.cli.app import app
from stepstone.integrations import extras
from stepstone.integrations.extras import Integration, integrations

SRC = Path(__file__).resolve().parents[2] / "src"


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def listed(runner: CliRunner) -> dict[str, dict]:
    code, out, err = invoke(runner, "integration", "list", "--json")
    assert code == 0, err
    return {i["name"]: i for i in json.loads(out)["integrations"]}


# -- one list: the extras ---------------------------------------------------------------------


def test_the_integrations_are_the_extras() -> None:
    declared = extras.extras()
    assert {i.name for i in integrations()} == set(declared) - extras.NOT_INTEGRATIONS
    for integration in integrations():
        assert integration.requirements == declared[integration.name]
        assert integration.modules, integration.name
    # Every integration has a description, and every description an extra.
    assert set(extras._ABOUT) == set(declared) - extras.NOT_INTEGRATIONS


def test_every_materializer_names_an_extra_that_installs_what_it_imports() -> None:
    """The torch materializer imports safetensors, so the torch extra must install it."""
    provided = importlib.metadata.packages_distributions()
    declared = extras.extras()
    for lazy in LAZY_MATERIALIZERS:
        names = {_project(r) for r in declared[lazy.integration]}
        for module in lazy.imports:
            if module == "numpy":  # a dependency of stepstone itself
                continue
            distributions = {d.lower() for d in provided.get(module, [])}
            assert distributions & names, (lazy.name, module, names)


def _project(requirement: str) -> str:
    for stop in "[<>=!~; ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.lower()


@pytest.mark.parametrize("lazy", LAZY_MATERIALIZERS, ids=[lazy.name for lazy in LAZY_MATERIALIZERS])
def test_catalog_imports_are_the_libraries_the_module_imports(lazy: object) -> None:
    module_name = lazy.target.partition(":")[0]  # type: ignore[attr-defined]
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    libraries = imported - set(sys.stdlib_module_names) - {"stepstone", "__future__"}
    # A type it serves is imported by name when loading (sklearn's classes, by import_target).
    served = {name.split(".")[0] for name in lazy.handled_types}  # type: ignore[attr-defined]
    assert set(lazy.imports) == libraries | served  # type: ignore[attr-defined]


def test_the_installed_distribution_is_read_when_there_is_no_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(extras, "_checkout_pyproject", lambda: None)
    extras.extras.cache_clear()
    try:
        found = extras.extras()
    finally:
        extras.extras.cache_clear()
    # The editable install of this environment records the extras it was installed with.
    assert "torch" in found and "dashboard" in found
    assert any(r.startswith("safetensors") for r in found["torch"])
    assert set(found["dashboard"]) == {"fastapi>=0.110", "uvicorn>=0.29", "jinja2>=3.1"}


# -- list: importability, not a name ----------------------------------------------------------


def test_list_reports_every_integration_with_what_it_needs(runner: CliRunner) -> None:
    found = listed(runner)
    for name in ("sklearn", "torch", "keras", "tensorflow", "pandas", "polars", "dask", "s3"):
        assert name in found
    assert found["torch"]["requirements"] == ["torch==2.13.0", "safetensors>=0.4"]
    assert found["torch"]["modules"] == ["torch", "safetensors"]
    assert found["dashboard"]["modules"] == ["fastapi", "uvicorn", "jinja2"]
    # This environment has the dev extras: torch, safetensors and the dashboard are installed.
    assert found["torch"]["installed"] and found["dashboard"]["installed"]
    for integration in found.values():
        expected = [m for m in integration["modules"] if importlib.util.find_spec(m) is None]
        assert integration["missing"] == expected
        assert integration["installed"] is (not expected)
    code, out, _ = invoke(runner, "integration", "list")
    assert code == 0
    assert "torch==2.13.0" in out and "safetensors>=0.4" in out


def test_a_partial_install_names_the_missing_module() -> None:
    partial = Integration("torch", "", ("torch==2.13.0",), ("json", "no_such_module_for_stepstone"))
    assert partial.missing() == ("no_such_module_for_stepstone",)
    assert not partial.installed


def test_list_imports_no_library(tmp_path: Path) -> None:
    """Finding a module must not import it (importing torch takes seconds)."""
    code = (
        "import sys; from typer.testing import CliRunner; from stepstone.cli.app import app; "
        "result = CliRunner().invoke(app, ['integration', 'list', '--json']); "
        "assert result.exit_code == 0, result.output; "
        "print(sorted(m for m in ('torch', 'safetensors', 'keras', 'polars', 'fastapi') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "STEPSTONE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- install: the extra's requirements, with this interpreter's pip ----------------------------


def _recording_pip(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``python -m pip`` is a package that records its arguments."""
    fake = tmp_path / "fake_pip"
    (fake / "pip").mkdir(parents=True)
    (fake / "pip" / "__init__.py").write_text("")
    record = tmp_path / "pip_argv.json"
    (fake / "pip" / "__main__.py").write_text(
        "import json, os, sys\n"
        "with open(os.environ['PIP_RECORD'], 'w') as f:\n"
        "    json.dump(sys.argv[1:], f)\n"
        "sys.exit(int(os.environ.get('PIP_STATUS', '0')))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(fake), str(SRC)]),
        "PIP_RECORD": str(record),
        "STEPSTONE_HOME": str(tmp_path / "home"),
    }
    return env, record


def _stepstone(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepstone.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_install_torch_installs_safetensors_too(tmp_path: Path) -> None:
    env, record = _recording_pip(tmp_path)
    result = _stepstone(env, "integration", "install", "torch")
    assert result.returncode == 0, result.stderr
    assert json.loads(record.read_text()) == ["install", "torch==2.13.0", "safetensors>=0.4"]
    assert result.stdout.splitlines()[0] == (
        f"{sys.executable} -m pip install torch==2.13.0 'safetensors>=0.4'"
    )
    assert "Installed: torch." in result.stdout


def test_install_dashboard_and_an_alias(tmp_path: Path) -> None:
    env, record = _recording_pip(tmp_path)
    result = _stepstone(env, "integration", "install", "dashboard", "scikit-learn")
    assert result.returncode == 0, result.stderr
    assert json.loads(record.read_text()) == [
        "install",
        "fastapi>=0.110",
        "uvicorn>=0.29",
        "jinja2>=3.1",
        "scikit-learn>=1.4",
    ]
    assert "Installed: dashboard, sklearn." in result.stdout


def test_install_reports_a_failing_pip(tmp_path: Path) -> None:
    env, record = _recording_pip(tmp_path)
    result = _stepstone({**env, "PIP_STATUS": "1"}, "integration", "install", "polars")
    assert result.returncode == 1
    assert json.loads(record.read_text()) == ["install", "polars>=1.0"]
    assert "pip exited with status 1" in result.stderr


def test_dry_run_prints_the_exact_command_and_runs_nothing(tmp_path: Path) -> None:
    env, record = _recording_pip(tmp_path)
    result = _stepstone(env, "integration", "install", "torch", "s3", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{sys.executable} -m pip install torch==2.13.0 'safetensors>=0.4' 's3fs>=2024.2'"
    )
    assert not record.exists()


def test_install_unknown_integration_suggests_one(runner: CliRunner) -> None:
    code, out, err = invoke(runner, "integration", "install", "trch", "--dry-run")
    assert code == 2
    assert out == ""
    assert "No integration named 'trch'. Did you mean 'torch'?" in err
    assert "stepstone integration list" in err
