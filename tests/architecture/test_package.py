"""The package's shape: layers, the curated top level, and a light import."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import stepstone


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert stepstone.__all__ == sorted(stepstone.__all__)
    for name in stepstone.__all__:
        assert getattr(stepstone, name) is not None, name


def test_the_documented_entry_points_are_exported() -> None:
    from stepstone import Client, pipeline, step  # noqa: F401


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


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter is not installed")
def test_layers_point_one_way() -> None:
    result = subprocess.run(["lint-imports"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
