"""Settings: one table declares them, and one on/off vocabulary reads every boolean."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stepstone import config
from stepstone.cli.errors import debug_requested, debug_variable
from stepstone.cli.loading import convert
from stepstone.config import (
    BOOLEAN_WORDS,
    SETTINGS,
    Settings,
    describe_settings,
    load_settings,
    parse_bool,
    set_config_value,
    setting_keys,
)
from stepstone.exceptions import ConfigError, InvalidBooleanError, UsageError, UserError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEPSTONE_HOME", str(tmp_path))
    for setting in SETTINGS:
        monkeypatch.delenv(setting.variable, raising=False)
    monkeypatch.delenv("STEPSTONE_DEBUG", raising=False)
    return tmp_path


def test_every_setting_is_a_settings_field_of_the_same_name_and_type() -> None:
    fields = {field.name: field.type for field in dataclasses.fields(Settings)}
    for setting in SETTINGS:  # "str", "str | None", "tuple[str, ...]"
        assert str(fields[setting.key]).startswith(setting.kind.__name__)
    tables = {"home", "source", "artifact_storage", "remotes"}
    assert set(fields) - {s.key for s in SETTINGS} == tables
    assert setting_keys() == sorted(s.key for s in SETTINGS)


def test_the_module_docstring_tables_every_setting() -> None:
    lines = (config.__doc__ or "").splitlines()
    for setting in SETTINGS:
        (row,) = [line for line in lines if f"``{setting.variable}``" in line]
        assert f"``{setting.key}``" in row and setting.description in row


def test_defaults_live_in_the_home(home: Path) -> None:
    settings = load_settings()
    assert settings.home == home.resolve() and settings.source == "env"
    assert settings.metadata_url == f"sqlite:///{home.resolve() / 'metadata.db'}"
    assert settings.artifact_root == str(home.resolve() / "artifacts")
    assert (settings.cache, settings.allow_pickle, settings.artifact_storage) == (True, True, None)
    assert (settings.cache_remote, settings.trusted_keys, settings.remotes) == (None, (), None)


def test_the_environment_overrides_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "config.toml").write_text(
        'metadata_url = "sqlite:////file.db"\ncache = false\n[artifact_storage]\nregion = "x"\n'
    )
    assert load_settings().metadata_url == "sqlite:////file.db"
    assert load_settings().cache is False
    monkeypatch.setenv("STEPSTONE_METADATA_URL", "sqlite:////env.db")
    monkeypatch.setenv("STEPSTONE_CACHE", "on")
    settings = load_settings()
    assert (settings.metadata_url, settings.cache) == ("sqlite:////env.db", True)
    assert dict(settings.artifact_storage or {}) == {"region": "x"}


def test_describe_settings_reports_each_setting_with_its_source(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "config.toml").write_text("allow_pickle = false\n")
    monkeypatch.setenv("STEPSTONE_CACHE", "off")
    described = {value.key: value for value in describe_settings()}
    assert list(described) == setting_keys()
    assert described["cache"].value is False
    assert (described["cache"].source, described["cache"].variable) == ("env", "STEPSTONE_CACHE")
    assert (described["allow_pickle"].source, described["allow_pickle"].value) == ("file", False)
    assert described["metadata_url"].source == "default"
    for setting in SETTINGS:
        assert described[setting.key].description == setting.description


@pytest.mark.parametrize(("word", "meaning"), sorted(BOOLEAN_WORDS.items()))
def test_one_vocabulary_reads_settings_parameters_and_flags(
    home: Path, monkeypatch: pytest.MonkeyPatch, word: str, meaning: bool
) -> None:
    spelled = f" {word.upper()} "
    assert parse_bool(spelled) is meaning
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", spelled)
    assert load_settings().allow_pickle is meaning
    assert convert(spelled, bool) is meaning
    monkeypatch.setenv("STEPSTONE_DEBUG", spelled)
    assert debug_requested(None) is meaning
    set_config_value(home, "cache", word)
    assert (home / "config.toml").read_text() == f"cache = {str(meaning).lower()}\n"


def test_a_word_outside_the_vocabulary_is_a_clear_error_everywhere(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidBooleanError, match=r"'maybe' is not on or off: use on or off"):
        parse_bool("maybe")
    assert issubclass(InvalidBooleanError, UserError)
    assert issubclass(InvalidBooleanError, ValueError)
    monkeypatch.setenv("STEPSTONE_CACHE", "maybe")
    with pytest.raises(ConfigError, match=r"Setting 'cache' must be on or off .* STEPSTONE_CACHE"):
        load_settings()
    monkeypatch.delenv("STEPSTONE_CACHE")
    (home / "config.toml").write_text('allow_pickle = "sometimes"\n')
    with pytest.raises(ConfigError, match=r"'allow_pickle' must be on or off.*'sometimes'"):
        load_settings()
    with pytest.raises(ConfigError, match=r"Setting 'cache' takes on or off .*'maybe'"):
        set_config_value(home, "cache", "maybe")
    monkeypatch.setenv("STEPSTONE_DEBUG", "maybe")
    with pytest.raises(UsageError, match=r"STEPSTONE_DEBUG='maybe' is not on or off"):
        debug_variable()
    assert debug_requested(None) is False  # the error handler itself never raises


def test_trusted_keys_are_a_list_or_one_comma_separated_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "config.toml").write_text('trusted_keys = ["a:1", " b:2 "]\n')
    assert load_settings().trusted_keys == ("a:1", "b:2")
    monkeypatch.setenv("STEPSTONE_TRUSTED_KEYS", "c:3, ,d:4")
    assert load_settings().trusted_keys == ("c:3", "d:4")
    described = {value.key: value for value in describe_settings()}
    assert described["trusted_keys"].value == "c:3, d:4"


def test_a_location_of_the_wrong_type_names_the_setting(home: Path) -> None:
    (home / "config.toml").write_text("metadata_url = 5\n")
    with pytest.raises(ConfigError, match=r"'metadata_url' must be a str, not 5"):
        load_settings()


def test_unknown_keys_are_refused_with_a_suggestion(home: Path) -> None:
    (home / "config.toml").write_text("cach = false\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'cach'. Did you mean 'cache'\?"):
        load_settings()
    with pytest.raises(ConfigError, match=r"Unknown setting 'allow_pickles'. Did you mean"):
        set_config_value(home, "allow_pickles", "on")
