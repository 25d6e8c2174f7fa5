"""Where the stores live and how they are configured.

The home directory is found in this order:

1. ``STEPSTONE_HOME`` if set;
2. a ``.stepstone/`` directory found by walking up from the working directory
   (``stepstone init`` makes one);
3. a per-user data directory (``platformdirs.user_data_dir("stepstone")``).

The home holds ``config.toml``, the SQLite database (``metadata.db``) and the local
artifacts (``artifacts/``). Settings in ``config.toml`` may point elsewhere (a PostgreSQL URL,
an ``s3://`` root), and ``STEPSTONE_*`` environment variables override the file:

=========================== ======================= ===================================
variable                    config key              meaning
=========================== ======================= ===================================
``STEPSTONE_METADATA_URL``  ``metadata_url``        SQLAlchemy URL of the metadata database
``STEPSTONE_ARTIFACT_ROOT`` ``artifact_root``       fsspec URL or path of the artifact root
``STEPSTONE_CACHE``         ``cache``               ``off`` disables cache lookups
``STEPSTONE_ALLOW_PICKLE``  ``allow_pickle``        ``0`` refuses to load pickled artifacts
=========================== ======================= ===================================
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
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
}
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
    """

    home: Path
    metadata_url: str
    artifact_root: str
    cache_enabled: bool = True
    allow_pickle: bool = True
    source: str = "user"

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
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}. Fix or delete it.") from exc
    unknown = sorted(set(data) - set(_ENV_KEYS))
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
    )


def init_project(path: Path) -> Path:
    """Create ``PATH/.stepstone`` (idempotent) and return it."""
    home = path.resolve() / PROJECT_DIR_NAME
    home.mkdir(parents=True, exist_ok=True)
    (home / ARTIFACTS_DIR_NAME).mkdir(exist_ok=True)
    gitignore = home / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# stepstone stores: runs and artifacts are not source.\n*\n")
    return home
