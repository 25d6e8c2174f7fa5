"""``stepstone config show|set|unset``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone.cli.app import app
from stepstone.config import load_settings


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def shown(runner: CliRunner) -> dict:
    code, out, err = invoke(runner, "config", "show", "--json")
    assert code == 0, err
    return json.loads(out)


# -- config -----------------------------------------------------------------------------------


def test_show_says_where_each_value_comes_from(
    runner: CliRunner, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = shown(runner)
    assert document["home"] == str(isolated_home)
    assert document["home_source"] == "env"
    assert document["config_file"] == str(isolated_home / "config.toml")
    assert document["settings"]["cache"] == {
        "value": True,
        "source": "default",
        "env": "STEPSTONE_CACHE",
    }
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", "0")
    assert shown(runner)["settings"]["allow_pickle"]["source"] == "env"
    code, out, _ = invoke(runner, "config", "show")
    assert code == 0
    assert "metadata_url" in out and "STEPSTONE_ALLOW_PICKLE" in out


def test_set_and_unset_write_config_toml(runner: CliRunner, isolated_home: Path) -> None:
    config = isolated_home / "config.toml"
    code, out, err = invoke(runner, "config", "set", "cache", "off")
    assert code == 0, err
    assert f"Set cache in {config}." in out
    assert config.read_text() == "cache = false\n"
    assert load_settings().cache is False
    assert shown(runner)["settings"]["cache"]["source"] == "file"
    code, _, _ = invoke(runner, "config", "set", "artifact_root", "s3://bucket/prefix")
    assert code == 0
    assert load_settings().artifact_root == "s3://bucket/prefix"
    code, out, _ = invoke(runner, "config", "unset", "cache")
    assert code == 0
    assert config.read_text() == 'artifact_root = "s3://bucket/prefix"\n'
    assert load_settings().cache is True


def test_set_keeps_comments_and_other_keys(runner: CliRunner, isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    config = isolated_home / "config.toml"
    config.write_text("# team settings\ncache = true\nallow_pickle = false  # no pickles\n")
    assert invoke(runner, "config", "set", "cache", "no")[0] == 0
    assert (
        config.read_text() == "# team settings\ncache = false\nallow_pickle = false  # no pickles\n"
    )


def test_set_makes_a_relative_artifact_root_absolute(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke(runner, "config", "set", "artifact_root", "shared/artifacts")[0] == 0
    assert load_settings().artifact_root == str(tmp_path / "shared" / "artifacts")


def test_set_warns_when_the_environment_overrides(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTONE_CACHE", "on")
    code, _, err = invoke(runner, "config", "set", "cache", "off")
    assert code == 0
    assert "STEPSTONE_CACHE is set in the environment and overrides the config file" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "cahce", "off"], "Unknown setting 'cahce'. Did you mean 'cache'?"),
        (["set", "cache", "maybe"], "Setting 'cache' takes on or off"),
        (["set", "metadata_url", "not a url"], "'not a url' is not a database URL"),
        (["unset", "colour"], "Unknown setting 'colour'."),
    ],
)
def test_config_mistakes_exit_2(
    runner: CliRunner, isolated_home: Path, args: list[str], message: str
) -> None:
    code, out, err = invoke(runner, "config", *args)
    assert code == 2
    assert out == ""
    assert message in err
    assert not (isolated_home / "config.toml").exists()


def test_an_unreadable_config_is_a_user_error_everywhere(
    runner: CliRunner, isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("cache = [unclosed\n")
    for command in (["config", "show"], ["runs", "list"], ["config", "set", "cache", "on"]):
        code, _, err = invoke(runner, *command)
        assert code == 2, command
        assert err.startswith("Error: Cannot read config file")
        assert "Fix or delete it." in err
