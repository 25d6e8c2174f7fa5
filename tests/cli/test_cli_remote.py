"""``stepstone remote add|list|remove``: remotes in the project's config file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stepstone.cli.app import app
from stepstone.config import load_settings, set_config_value
from stepstone.remote.config import configured_remotes


def test_add_list_remove(runner: CliRunner, isolated_home: Path, tmp_path: Path) -> None:
    set_config_value(isolated_home, "cache", "on")
    result = runner.invoke(app, ["remote", "add", "team", str(tmp_path / "shared")])
    assert result.exit_code == 0, result.output
    runner.invoke(app, ["remote", "add", "ci", "s3://bucket/ci"])
    # A top-level key set after the tables still lands outside them.
    set_config_value(isolated_home, "cache_remote", "team")
    listed = json.loads(runner.invoke(app, ["remote", "list", "--json"]).stdout)
    assert listed == {
        "cache_remote": "team",
        "remotes": [
            {"name": "ci", "url": "s3://bucket/ci", "allow_pickle": False},
            {"name": "team", "url": str(tmp_path / "shared"), "allow_pickle": False},
        ],
    }
    result = runner.invoke(app, ["remote", "remove", "tem"])
    assert result.exit_code == 2
    assert "Did you mean 'team'?" in result.output
    assert runner.invoke(app, ["remote", "remove", "ci"]).exit_code == 0
    settings = load_settings()
    assert [r.name for r in configured_remotes(settings)] == ["team"]
    assert settings.cache and settings.cache_remote == "team"


def test_push_names_a_missing_remote(runner: CliRunner) -> None:
    result = runner.invoke(app, ["cache", "push", "--all", "--remote", "team"])
    assert result.exit_code == 2
    assert "No remote named 'team'" in result.output
    assert "stepstone remote add team URL" in result.output
