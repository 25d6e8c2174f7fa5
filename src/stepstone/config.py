"""Where the stores live and how they are configured.

The home directory is found in this order:

1. ``STEPSTONE_HOME`` if set;
2. a ``.stepstone/`` directory found by walking up from the working directory
   (``stepstone init`` makes one);
3. a per-user data directory (``platformdirs.user_data_dir("stepstone")``).

The home holds ``config.toml``, the SQLite database (``metadata.db``) and the local
artifacts (``artifacts/``). Settings in ``config.toml`` may point elsewhere (a PostgreSQL URL,
an ``s3://`` root), and ``STEPSTONE_*`` environment variables override the file:

============================ ================== =========================================
variable                     config key         meaning
============================ ================== =========================================
``STEPSTONE_METADATA_URL``   ``metadata_url``   SQLAlchemy URL of the metadata database
``STEPSTONE_ARTIFACT_ROOT``  ``artifact_root``  fsspec URL or path of the artifact root
``STEPSTONE_CACHE``          ``cache``          ``off`` disables cache lookups
``STEPSTONE_ALLOW_PICKLE``   ``allow_pickle``   ``0`` refuses to load pickled artifacts
``STEPSTONE_CACHE_REMOTE``   ``cache_remote``   remote a local cache miss is looked up in
``STEPSTONE_REQUIRE_SIGNED`` ``require_signed`` ``1`` ignores unsigned remote entries
``STEPSTONE_SIGNING_KEY``    ``signing_key``    key file that signs pushed entries
``STEPSTONE_TRUSTED_KEYS``   ``trusted_keys``   public keys whose entries are trusted
``STEPSTONE_EXECUTOR``       ``executor``       where steps run: ``local``, ``threads:4``, ...
============================ ================== =========================================

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

from stepstone.exceptions import ConfigError

PROJECT_DIR_NAME = ".stepstone"
CONFIG_FILE_NAME = "config.toml"
DATABASE_FILE_NAME = "metadata.db"
ARTIFACTS_DIR_NAME = "artifacts"

_ENV_KEYS = {
    "metadata_url": "STEPSTONE_METADATA_URL",
    "artifact_root": "STEPSTONE_ARTIFACT_ROOT",
    "cache": "STEPSTONE_CACHE",
    "allow_pickle": "STEPSTONE_ALLOW_PICKLE",
    "cache_remote": "STEPSTONE_CACHE_REMOTE",
    "require_signed": "STEPSTONE_REQUIRE_SIGNED",
    "signing_key": "STEPSTONE_SIGNING_KEY",
    "trusted_keys": "STEPSTONE_TRUSTED_KEYS",
    "executor": "STEPSTONE_EXECUTOR",
}
_DESCRIPTIONS = {
    "metadata_url": "SQLAlchemy URL of the metadata database",
    "artifact_root": "path or fsspec URL under which artifacts are stored",
    "cache": "off disables cache lookups (every step executes)",
    "allow_pickle": "off refuses to load artifacts stored with pickle",
    "cache_remote": "remote (from [remotes]) a local cache miss is looked up in",
    "require_signed": "on ignores remote entries not signed by a trusted key",
    "signing_key": "private key file that signs entries pushed to a remote",
    "trusted_keys": "public keys (NAME:BASE64, comma-separated) whose entries are trusted",
    "executor": "where steps run: local, threads[:N], processes[:N], dask[:N], tcp://HOST:PORT",
}
_BOOLEAN_KEYS = frozenset({"cache", "allow_pickle", "require_signed"})
#: Tables of the config file (no environment variable): edited by hand, not ``config set``.
STORAGE_TABLE = "artifact_storage"
REMOTES_TABLE = "remotes"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one process.

    Attributes:
        home: the directory holding the config file and the default stores.
        metadata_url: SQLAlchemy URL of the metadata database.
        artifact_root: path or fsspec URL under which artifacts are stored.
        cache_enabled: ``False`` when ``STEPSTONE_CACHE=off``: every step executes.
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
    """

    home: Path
    metadata_url: str
    artifact_root: str
    cache_enabled: bool = True
    allow_pickle: bool = True
    source: str = "user"
    artifact_storage: Mapping[str, Any] | None = field(default=None, hash=False)
    cache_remote: str | None = None
    require_signed: bool = False
    signing_key: str | None = None
    trusted_keys: tuple[str, ...] = ()
    remotes: Mapping[str, Any] | None = field(default=None, hash=False)
    executor: str = "local"

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


def _parse_bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(
        f"Setting '{key}' must be on/off (or 1/0, true/false), not {raw!r}. "
        f"Fix it in the config file or the {_ENV_KEYS[key]} variable."
    )


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
    unknown = sorted(set(data) - set(_ENV_KEYS) - {STORAGE_TABLE, REMOTES_TABLE})
    if unknown:
        from stepstone.exceptions import did_you_mean

        hint = did_you_mean(unknown[0], _ENV_KEYS)
        raise ConfigError(
            f"Config file {path} has unknown setting '{unknown[0]}'.{hint} "
            f"Known settings: {', '.join(sorted(_ENV_KEYS))}."
        )
    return data


def load_settings(start: Path | None = None) -> Settings:
    """Resolve the settings for this process: home, then config file, then environment."""
    home, source = find_home(start)
    values: dict[str, Any] = read_config_file(home / CONFIG_FILE_NAME)
    for key, variable in _ENV_KEYS.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    metadata_url = str(values.get("metadata_url") or f"sqlite:///{home / DATABASE_FILE_NAME}")
    artifact_root = str(values.get("artifact_root") or home / ARTIFACTS_DIR_NAME)
    return Settings(
        home=home,
        metadata_url=metadata_url,
        artifact_root=artifact_root,
        cache_enabled=_parse_bool("cache", values.get("cache", True)),
        allow_pickle=_parse_bool("allow_pickle", values.get("allow_pickle", True)),
        source=source,
        artifact_storage=_table(values.get(STORAGE_TABLE), STORAGE_TABLE, home),
        cache_remote=str(values["cache_remote"]) if values.get("cache_remote") else None,
        require_signed=_parse_bool("require_signed", values.get("require_signed", False)),
        signing_key=str(values["signing_key"]) if values.get("signing_key") else None,
        trusted_keys=_key_list(values.get("trusted_keys")),
        remotes=_table(values.get(REMOTES_TABLE), REMOTES_TABLE, home),
        executor=_parse_executor(str(values.get("executor") or "local")),
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


def _key_list(raw: Any) -> tuple[str, ...]:
    """``trusted_keys``: a TOML list, or one comma-separated string (the variable)."""
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


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
    return sorted(_ENV_KEYS)


def describe_settings(settings: Settings | None = None) -> list[SettingValue]:
    """Every setting in effect, with where its value comes from."""
    settings = settings or load_settings()
    in_file = read_config_file(settings.config_file)
    effective = {
        "metadata_url": settings.metadata_url,
        "artifact_root": settings.artifact_root,
        "cache": settings.cache_enabled,
        "allow_pickle": settings.allow_pickle,
        "cache_remote": settings.cache_remote,
        "require_signed": settings.require_signed,
        "signing_key": settings.signing_key,
        "trusted_keys": ", ".join(settings.trusted_keys),
        "executor": settings.executor,
    }
    described = []
    for key in setting_keys():
        variable = _ENV_KEYS[key]
        source = "env" if os.environ.get(variable) else "file" if key in in_file else "default"
        described.append(SettingValue(key, effective[key], source, variable, _DESCRIPTIONS[key]))
    return described


def _toml_value(key: str, raw: str) -> str:
    """The TOML text of a value given on the command line, checked for ``key``."""
    import json

    if key in _BOOLEAN_KEYS:
        try:
            return "true" if _parse_bool(key, raw) else "false"
        except ConfigError:
            raise ConfigError(
                f"Setting '{key}' takes on or off (also 1/0, true/false, yes/no), not {raw!r}."
            ) from None
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
    elif key == "executor":
        text = _parse_executor(text)
    elif key == "artifact_root" and "://" not in text and "::" not in text:
        # A relative folder would mean something else in every working directory.
        text = str(Path(text).expanduser().resolve())
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
    if key not in _ENV_KEYS:
        from stepstone.exceptions import did_you_mean

        raise ConfigError(
            f"Unknown setting '{key}'.{did_you_mean(key, _ENV_KEYS)} "
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
