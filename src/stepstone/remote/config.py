"""Cache remotes as configured: the ``[remotes.NAME]`` tables of ``config.toml``.

::

    cache_remote = "team"            # optional: look local misses up in this remote
    [remotes.team]
    url = "s3://team-bucket/stepstone-cache"   # or any fsspec URL, or a directory
    allow_pickle = false             # unpickle unsigned entries' artifacts from it?
    endpoint_url = "http://127.0.0.1:9000"     # the [artifact_storage] keys, for this remote

``stepstone remote add|remove`` edit these tables; other lines of the file are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepstone.artifacts.storage import StorageOptions
from stepstone.config import REMOTES_TABLE, Settings, read_config_file, write_config_lines
from stepstone.exceptions import ConfigError, did_you_mean

__all__ = ["RemoteConfig", "add_remote", "configured_remotes", "remote_named", "remove_remote"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_OWN_KEYS = ("url", "allow_pickle")


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """One configured remote.

    Attributes:
        name: its name in the config (``team``).
        url: where it is (fsspec URL or directory).
        allow_pickle: load pickled artifacts of entries not signed by a trusted key.
        storage: how to reach it (endpoint, region, ...), as for the artifact root.
    """

    name: str
    url: str
    allow_pickle: bool
    storage: StorageOptions


def _parse(name: str, table: Any, where: str) -> RemoteConfig:
    if not isinstance(table, Mapping) or not isinstance(table.get("url"), str):
        raise ConfigError(f'{where}: [remotes.{name}] needs url = "s3://..." (or a directory).')
    allow = table.get("allow_pickle", False)
    if not isinstance(allow, bool):
        raise ConfigError(f"{where}: [remotes.{name}] allow_pickle must be true or false.")
    rest = {key: value for key, value in table.items() if key not in _OWN_KEYS}
    return RemoteConfig(name, table["url"], allow, StorageOptions.from_table(rest, where))


def configured_remotes(settings: Settings) -> list[RemoteConfig]:
    """Every remote of the config file, sorted by name."""
    where = f"Config file {settings.config_file}"
    tables = settings.remotes or {}
    return [_parse(name, tables[name], where) for name in sorted(tables)]


def remote_named(settings: Settings, name: str | None = None) -> RemoteConfig:
    """The remote called ``name`` (default: ``cache_remote``, else the only one).

    Raises:
        ConfigError: no such remote (with "did you mean"), or none named and several exist.
    """
    tables = settings.remotes or {}
    if name is None:
        name = settings.cache_remote
    if name is None:
        if len(tables) == 1:
            name = next(iter(tables))
        else:
            known = ", ".join(sorted(tables)) or "none yet"
            raise ConfigError(
                f"Say which remote to use (--remote NAME); configured: {known}. Add one with "
                "'stepstone remote add NAME URL'."
            )
    if name not in tables:
        known = ", ".join(sorted(tables)) or "none"
        raise ConfigError(
            f"No remote named {name!r}.{did_you_mean(name, tables)} Configured remotes: "
            f"{known}. Add it with 'stepstone remote add {name} URL'."
        )
    return _parse(name, tables[name], f"Config file {settings.config_file}")


def _without_table(lines: list[str], name: str) -> tuple[list[str], bool]:
    """``lines`` without ``[remotes.NAME]`` and its sub-tables; whether it was there."""
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    kept: list[str] = []
    inside = found = False
    for line in lines:
        match = header.match(line)
        if match:
            table = match.group(1).replace('"', "").replace(" ", "")
            inside = table == f"{REMOTES_TABLE}.{name}" or table.startswith(
                f"{REMOTES_TABLE}.{name}."
            )
            found = found or inside
        if not inside:
            kept.append(line)
    return kept, found


def add_remote(home: Path, name: str, url: str) -> Path:
    """Add (or replace) ``[remotes.NAME]`` with ``url``; directories are made absolute.

    Raises:
        ConfigError: a bad name or an empty URL.
    """
    if not _NAME.match(name):
        raise ConfigError(
            f"Remote name {name!r} must be letters, digits, '_' or '-' (e.g. team, ci)."
        )
    text = url.strip()
    if not text:
        raise ConfigError("The remote needs a URL: s3://bucket/prefix, or a directory.")
    if "://" not in text and "::" not in text:
        text = str(Path(text).expanduser().resolve())
    path = home / "config.toml"
    read_config_file(path)  # refuse to edit a file that is broken already
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    lines, _ = _without_table(lines, name)
    while lines and not lines[-1].strip():
        lines.pop()
    lines += ["", f"[{REMOTES_TABLE}.{name}]", f"url = {json.dumps(text, ensure_ascii=False)}"]
    return write_config_lines(home, lines)


def remove_remote(home: Path, name: str, known: list[str]) -> Path:
    """Delete ``[remotes.NAME]`` (and its sub-tables) from the config file.

    Raises:
        ConfigError: no such remote (with "did you mean" among ``known``).
    """
    path = home / "config.toml"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    lines, found = _without_table(lines, name)
    if not found:
        raise ConfigError(
            f"No remote named {name!r}.{did_you_mean(name, known)} "
            f"Configured remotes: {', '.join(known) or 'none'}."
        )
    return write_config_lines(home, lines)
