"""``stepstone materializers``: what is registered, and which entries use pickle."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stepstone.cli.app import app


def test_materializers_lists_every_registered_one_as_json() -> None:
    result = CliRunner().invoke(app, ["materializers", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["materializers"]}
    assert {"builtins.json", "numpy.npy", "sklearn.state", "cloudpickle"} <= set(rows)
    assert rows["cloudpickle"]["uses_pickle"] is True
    assert rows["numpy.npy"]["uses_pickle"] is False
    assert "numpy.ndarray" in rows["numpy.npy"]["handled_types"]


def test_materializers_table_names_the_pickle_fallback() -> None:
    result = CliRunner().invoke(app, ["materializers"])
    assert result.exit_code == 0, result.stderr
    assert "cloudpickle" in result.stdout and "last resort" in result.stdout
    assert "@register_materializer" in result.stdout
