"""Where the stores live and how they are configured.

The home directory is found in this order:

1. ``STEPSTONE_HOME`` if set;
2. a ``.stepstone/`` directory found by walking up from the working directory
   (``stepstone init`` makes one);
3. a per-user data directory (``platformdirs.user_data_dir("stepstone")``).

The home holds ``config.toml``, the SQLite database (``metadata.db``) and the local
artifacts (``artifacts/``). Settings in ``config.toml`` may point elsewhere (a PostgreSQL URL,
an ``s3://`` root), and ``STEPSTONE_*`` environment variables override the file. Every
setting is declared once, in :data:`SETTINGS`; the table below, the environment overrides,
``stepstone config show|set`` and the :class:`Settings` fields all derive from it.

The ``[remotes.NAME]`` tables name cache remotes (``url``, ``allow_pickle``, and the
``[artifact_storage]`` keys for reaching it): :mod:`stepstone.remote.config`.

The ``[artifact_storage]`` table (config file only) says how to reach a remote artifact root:
endpoint, region, checksums, conditional writes (:mod:`stepstone.artifacts.storage`);
credentials and ``AWS_ENDPOINT_URL_S3`` come from the AWS environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from stepstone.exceptions import ConfigError, InvalidBooleanError, did_you_mean

PROJECT_DIR_NAME = ".stepstone"
CONFIG_FILE_NAME = "config.toml"
DATABASE_FILE_NAME = "metadata.db"
ARTIFACTS_DIR_NAME = "artifacts"

BOOLEAN_WORDS: Mapping[str, bool] = MappingProxyType(
    {
        **dict.fromkeys(("1", "true", "t", "yes", "y", "on"), True),
        **dict.fromkeys(("0", "false", "f", "no", "n", "off"), False),
    }
)
"""The one vocabulary of on/off words: settings, ``-p`` values, CLI flags, ``STEPSTONE_DEBUG``."""


def parse_bool(value: object) -> bool:
    """``True``/``False`` for an on/off word of :data:`BOOLEAN_WORDS` (any case, spaces ignored).

    Raises:
        InvalidBooleanError: any other value; callers that know more (the setting, the ``-p``
            parameter) re-raise it with that context.
    """
    if isinstance(value, bool):
        return value
    try:
        return BOOLEAN_WORDS[str(value).strip().lower()]
    except KeyError:
        raise InvalidBooleanError(value) from None


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its ``config.toml`` key (also the :class:`Settings` field), the environment
    variable that overrides it, the type of its value and one line saying what it does."""

    key: str
    variable: str
    kind: type
    description: str

    def parse(self, raw: Any) -> Any:
        """``raw`` (from the file or the environment) as this setting's type.

        Raises:
            ConfigError: naming the setting, the value and where to fix it.
        """
        if self.kind is bool:
            try:
                return parse_bool(raw)
            except InvalidBooleanError as exc:
                raise self._invalid(raw, exc.expected) from None
        if self.kind in (int, float) and not isinstance(raw, bool):
            try:
                return self.kind(str(raw).strip())
            except ValueError:
                raise self._invalid(raw, f"a number ({self.kind.__name__})") from None
        if self.kind is str and isinstance(raw, str):
            return raw
        if self.kind is tuple and isinstance(raw, (str, list)):
            # A TOML list, or one comma-separated string (the only form a variable has).
            items = raw if isinstance(raw, list) else raw.split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        raise self._invalid(raw, f"a {self.kind.__name__}")

    def _invalid(self, raw: Any, expected: str) -> ConfigError:
        return ConfigError(
            f"Setting '{self.key}' must be {expected}, not {raw!r}. "
            f"Fix it in the config file or the {self.variable} variable."
        )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "metadata_url", "STEPSTONE_METADATA_URL", str, "SQLAlchemy URL of the metadata database"
    ),
    Setting(
        "artifact_root",
        "STEPSTONE_ARTIFACT_ROOT",
        str,
        "path or fsspec URL under which artifacts are stored",
    ),
    Setting("cache", "STEPSTONE_CACHE", bool, "off disables cache lookups (every step executes)"),
    Setting(
        "allow_pickle",
        "STEPSTONE_ALLOW_PICKLE",
        bool,
        "off refuses to load artifacts stored with pickle",
    ),
    Setting(
        "cache_remote",
        "STEPSTONE_CACHE_REMOTE",
        str,
        "remote (from [remotes]) a local cache miss is looked up in",
    ),
    Setting(
        "require_signed",
        "STEPSTONE_REQUIRE_SIGNED",
        bool,
        "on ignores remote entries not signed by a trusted key",
    ),
    Setting(
        "signing_key",
        "STEPSTONE_SIGNING_KEY",
        str,
        "private key file that signs entries pushed to a remote",
    ),
    Setting(
        "trusted_keys",
        "STEPSTONE_TRUSTED_KEYS",
        tuple,
        "public keys (NAME:BASE64, comma-separated) whose entries are trusted",
    ),
    Setting(
        "lease_timeout",
        "STEPSTONE_LEASE_TIMEOUT",
        float,
        "seconds a step's lease outlives its holder's last heartbeat (then another run takes over)",
    ),
    Setting(
        "executor",
        "STEPSTONE_EXECUTOR",
        str,
        "where steps run: local, threads[:N], processes[:N], dask[:N], tcp://HOST:PORT",
    ),
    Setting(
        "materializers",
        "STEPSTONE_MATERIALIZERS",
        tuple,
        "your own materializers (module:Class, comma-separated) loading may import by name",
    ),
)
"""Every setting stepstone reads. A new one is a row here plus a :class:`Settings` field of
the same name (``tests/unit/test_config.py`` holds the two equal)."""

SETTINGS_BY_KEY: Mapping[str, Setting] = MappingProxyType({s.key: s for s in SETTINGS})

#: Tables of the config file (no environment variable): edited by hand, not ``config set``.
STORAGE_TABLE = "artifact_storage"
REMOTES_TABLE = "remotes"


def settings_table() -> str:
    """:data:`SETTINGS` as a reStructuredText table (appended to this module's docstring)."""
    rows = [("variable", "config key", "meaning")]
    rows += [(f"``{s.variable}``", f"``{s.key}``", s.description) for s in SETTINGS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    rule = " ".join("=" * width for width in widths)
    lines = [
        " ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join([rule, lines[0], rule, *lines[1:], rule])


__doc__ = f"{__doc__}\n{settings_table()}\n"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one process.

    Attributes:
        home: the directory holding the config file and the default stores.
        metadata_url: SQLAlchemy URL of the metadata database.
        artifact_root: path or fsspec URL under which artifacts are stored.
        cache: ``False`` when ``STEPSTONE_CACHE=off``: every step executes.
        allow_pickle: ``False`` refuses to load artifacts stored with pickle.
        source: where the home was found (``env``, ``project`` or ``user``).
        artifact_storage: the ``[artifact_storage]`` table as written (None: no table);
            the artifact store checks it when it opens
            (:class:`stepstone.artifacts.storage.StorageOptions`).
        cache_remote: name of the remote a local cache miss is looked up in (None: none).
        require_signed: ignore remote entries not signed by a key in ``trusted_keys``.
        signing_key: path of the private key that signs pushed entries (None: unsigned).
        trusted_keys: public keys (``NAME:BASE64``) whose signatures make entries trusted.
        remotes: the ``[remotes]`` tables as written; :mod:`stepstone.remote.config`
            checks them when a remote is used.
        executor: where steps run unless a run says otherwise (``local``, ``threads:4``...).
        materializers: ``module:Class`` names of the user's own materializers that loading an
            artifact may import (see :func:`stepstone.artifacts.get_materializer`).
        lease_timeout: seconds a step's lease on its cache key outlives the last heartbeat of
            the run executing it; another run waiting for that key then takes over. Heartbeats
            go every quarter of it, so a holder killed outright costs a waiter at most this.
    """

    home: Path
    metadata_url: str
    artifact_root: str
    cache: bool = True
    allow_pickle: bool = True
    source: str = "user"
    artifact_storage: Mapping[str, Any] | None = field(default=None, hash=False)
    cache_remote: str | None = None
    require_signed: bool = False
    signing_key: str | None = None
    trusted_keys: tuple[str, ...] = ()
    remotes: Mapping[str, Any] | None = field(default=None, hash=False)
    executor: str = "local"
    materializers: tuple[str, ...] = ()
    lease_timeout: float = 10.0

    @property
    def config_file(self) -> Path:
        return self.home / CONFIG_FILE_NAME


def find_home(start: Path | None = None) -> tuple[Path, str]:
    """Return the home directory and how it was found (``env``, ``project`` or ``user``)."""
    env_home = os.environ.get("STEPSTONE_HOME")
    if env_home:
        return Path(env_home).expanduser().resolve(), "env"
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / PROJECT_DIR_NAME
        if candidate.is_dir():
            return candidate, "project"
    import platformdirs

    return Path(platformdirs.user_data_dir("stepstone", appauthor=False)), "user"


def read_config_file(path: Path) -> dict[str, Any]:
    """Read ``config.toml``; a missing file is an empty config, a broken one a ConfigError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}. Fix or delete it.") from exc
    import tomllib  # only now: most homes have no config file, and start-up time counts

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}. Fix or delete it.") from exc
    unknown = sorted(set(data) - set(SETTINGS_BY_KEY) - {STORAGE_TABLE, REMOTES_TABLE})
    if unknown:
        hint = did_you_mean(unknown[0], SETTINGS_BY_KEY)
        raise ConfigError(
            f"Config file {path} has unknown setting '{unknown[0]}'.{hint} "
            f"Known settings: {', '.join(setting_keys())}."
        )
    return data


def load_settings(start: Path | None = None) -> Settings:
    """Resolve the settings for this process: home, then config file, then environment."""
    home, source = find_home(start)
    values: dict[str, Any] = read_config_file(home / CONFIG_FILE_NAME)
    tables = {name: values.pop(name, None) for name in (STORAGE_TABLE, REMOTES_TABLE)}
    for setting in SETTINGS:
        if os.environ.get(setting.variable):
            values[setting.key] = os.environ[setting.variable]
    # An empty value means "not set": the field keeps its default.
    resolved = {key: SETTINGS_BY_KEY[key].parse(raw) for key, raw in values.items() if raw != ""}
    # An empty string means "not set" for the two locations: their defaults live in the home.
    resolved["metadata_url"] = (
        resolved.get("metadata_url") or f"sqlite:///{home / DATABASE_FILE_NAME}"
    )
    resolved["artifact_root"] = resolved.get("artifact_root") or str(home / ARTIFACTS_DIR_NAME)
    if "executor" in resolved:
        resolved["executor"] = _parse_executor(resolved["executor"])
    return Settings(
        home=home,
        source=source,
        artifact_storage=_table(tables[STORAGE_TABLE], STORAGE_TABLE, home),
        remotes=_table(tables[REMOTES_TABLE], REMOTES_TABLE, home),
        **resolved,
    )


def _parse_executor(raw: str) -> str:
    """``raw`` if it names an executor; the parser's message, as a ConfigError, if not."""
    from stepstone.exceptions import ExecutorError
    from stepstone.executor_choice import parse_executor

    try:
        return str(parse_executor(raw))
    except ExecutorError as exc:
        raise ConfigError(
            f"Setting 'executor': {exc} Fix it in the config file or the STEPSTONE_EXECUTOR "
            "variable."
        ) from None


def _table(table: Any, name: str, home: Path) -> Mapping[str, Any] | None:
    """A table of the config file, read-only (None when absent)."""
    if table is None:
        return None
    if not isinstance(table, dict):
        example = "keys such as endpoint_url and region" if name == STORAGE_TABLE else "url"
        raise ConfigError(
            f"Config file {home / CONFIG_FILE_NAME}: '{name}' must be a table ([{name}] with "
            f"{example}), not {table!r}."
        )
    return MappingProxyType(table)


def init_project(path: Path) -> Path:
    """Create ``PATH/.stepstone`` (idempotent) and return it."""
    home = path.resolve() / PROJECT_DIR_NAME
    home.mkdir(parents=True, exist_ok=True)
    (home / ARTIFACTS_DIR_NAME).mkdir(exist_ok=True)
    gitignore = home / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# stepstone stores: runs and artifacts are not source.\n*\n")
    return home


# -- showing and changing settings (``stepstone config show|set``) ----------------------------


@dataclass(frozen=True, slots=True)
class SettingValue:
    """One setting as ``stepstone config show`` reports it.

    Attributes:
        key: the config file key (``metadata_url``).
        value: the value in effect for this process.
        source: ``env`` (a ``STEPSTONE_*`` variable), ``file`` (``config.toml``) or ``default``.
        variable: the environment variable that overrides it.
        description: one line saying what it does.
    """

    key: str
    value: Any
    source: str
    variable: str
    description: str


def setting_keys() -> list[str]:
    """The keys ``config.toml`` accepts, sorted."""
    return sorted(SETTINGS_BY_KEY)


def describe_settings(settings: Settings | None = None) -> list[SettingValue]:
    """Every setting in effect, with where its value comes from."""
    settings = settings or load_settings()
    in_file = read_config_file(settings.config_file)
    described = []
    for key in setting_keys():
        setting = SETTINGS_BY_KEY[key]
        if os.environ.get(setting.variable):
            source = "env"
        else:
            source = "file" if key in in_file else "default"
        value = getattr(settings, key)
        if isinstance(value, tuple):
            value = ", ".join(value)
        described.append(SettingValue(key, value, source, setting.variable, setting.description))
    return described


def _toml_value(key: str, raw: str) -> str:
    """The TOML text of a value given on the command line, checked for ``key``."""
    import json

    kind = SETTINGS_BY_KEY[key].kind
    if kind is bool:
        try:
            return "true" if parse_bool(raw) else "false"
        except InvalidBooleanError as exc:
            raise ConfigError(f"Setting '{key}' takes {exc.expected}, not {raw!r}.") from None
    if kind in (int, float):
        return str(SETTINGS_BY_KEY[key].parse(raw))
    text = raw.strip()
    if not text:
        raise ConfigError(f"Setting '{key}' needs a value; use 'stepstone config unset {key}'.")
    if key == "metadata_url":
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(text)
        except ArgumentError as exc:
            raise ConfigError(
                f"{text!r} is not a database URL ({exc}). Use e.g. sqlite:////path/metadata.db "
                "or postgresql+psycopg://user@host/db."
            ) from None
    elif key == "artifact_root" and "://" not in text and "::" not in text:
        # A relative folder would mean something else in every working directory.
        text = str(Path(text).expanduser().resolve())
    elif key == "executor":
        text = _parse_executor(text)
    # JSON string escapes are valid TOML basic-string escapes (non-ASCII stays literal).
    return json.dumps(text, ensure_ascii=False)


def set_config_value(home: Path, key: str, value: str | None) -> Path:
    """Write ``key = value`` into ``home/config.toml`` (``None`` removes the key).

    Other lines, comments included, are kept; the file is replaced atomically and read back,
    so a failed write never leaves a broken config.

    Raises:
        ConfigError: an unknown key (with "did you mean"), a value the key cannot take, or a
            config file that is already unreadable.
    """
    if key not in SETTINGS_BY_KEY:
        raise ConfigError(
            f"Unknown setting '{key}'.{did_you_mean(key, SETTINGS_BY_KEY)} "
            f"Known settings: {', '.join(setting_keys())}."
        )
    path = home / CONFIG_FILE_NAME
    read_config_file(path)  # refuse to edit a file that is broken already
    line = None if value is None else f"{key} = {_toml_value(key, value)}"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    import re

    assignment = re.compile(rf"^\s*{re.escape(key)}\s*=")
    updated: list[str] = []
    for existing in lines:
        if assignment.match(existing):
            if line is not None:
                updated.append(line)
                line = None
            continue
        updated.append(existing)
    if line is not None:
        # A top-level key goes before the first table: after it, it would belong to the table.
        tables = [i for i, text in enumerate(updated) if text.lstrip().startswith("[")]
        updated.insert(tables[0] if tables else len(updated), line)
    return write_config_lines(home, updated)


def write_config_lines(home: Path, lines: list[str]) -> Path:
    """Replace ``home/config.toml`` with ``lines``, atomically, after reading them back.

    A text that would not load (bad TOML, an unknown key) raises ConfigError and the old
    file stays as it was.
    """
    path = home / CONFIG_FILE_NAME
    home.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{CONFIG_FILE_NAME}.{os.getpid()}.tmp")
    temporary.write_text("\n".join(lines) + "\n" if lines else "", encoding="utf-8")
    try:
        read_config_file(temporary)
    except ConfigError:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
    return path
