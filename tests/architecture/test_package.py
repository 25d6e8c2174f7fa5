"""The package's shape: layers, the curated top level, and a light import."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import stepstone
from shared_fixtures import SRC

ROOT = Path(SRC).parent


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert stepstone.__all__ == sorted(stepstone.__all__)
    for name in stepstone.__all__:
        assert getattr(stepstone, name) is not None, name


def test_import_stepstone_stays_light() -> None:
    code = "import json, sys; import stepstone; print(json.dumps(sorted(m for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {
        "sqlalchemy",
        "numpy",
        "fsspec",
        "typer",
        "rich",
        "alembic",
        "cloudpickle",
        "pydantic",
        "fastapi",
        "pandas",
        "torch",
        "sklearn",
        "blake3",
    }
    assert not heavy & loaded


_RUN_TWICE = """
import json, sys
from stepstone import pipeline, step

@step
def one() -> int:
    return 1

@step
def plus(x: int) -> int:
    return x + 1

@pipeline
def p():
    plus(one())

p()
p()
print(json.dumps(sorted(sys.modules)))
"""


def test_a_run_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    """A pipeline of project code, executed then cached on a local store, pays for no
    database toolkit, no process pool and no package-metadata reader (~10 ms each)."""
    env = {**os.environ, "PYTHONPATH": SRC, "STEPSTONE_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", _RUN_TWICE], capture_output=True, text=True, check=True, env=env
    )
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    unused = {"sqlalchemy", "alembic", "multiprocessing", "importlib.metadata", "numpy"}
    assert not unused & loaded


def test_layers_point_one_way() -> None:
    # import-linter is a dev dependency: a missing tool fails here rather than skipping, so a
    # broken layer can never pass unnoticed. It checks this checkout, not an installed copy.
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} is missing: pip install -e '.[dev]'"
    environment = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_top_level_module_sits_in_one_layer() -> None:
    configuration = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = configuration["tool"]["importlinter"]["contracts"]
    placed = [
        name.strip().removeprefix("stepstone.")
        for layer in contract["layers"]
        for name in layer.split("|")
    ]
    modules = {module.name for module in pkgutil.iter_modules(stepstone.__path__)}
    assert sorted(placed) == sorted(set(placed)), "a module is named in two layers"
    assert set(placed) == modules
