"""Opening an existing, up-to-date SQLite store without importing SQLAlchemy.

Importing SQLAlchemy costs more than a cached pipeline run or a ``stepstone runs list`` does
(~0.2-0.4 s on a laptop, most of a CLI command's budget). So when the URL is a plain SQLite file
that already holds the code's schema revision, the store opens that file with the ``sqlite3``
module directly, configured exactly as the engine configures its connections, and uses it as
the hot-path connection (writes, cache lookups) and for the runs page reads (:mod:`.runs`).
SQLAlchemy is imported only when another read, a delete or a migration needs it.

Anything unusual — an in-memory database, a URL with query options, a missing file, another
revision — takes the ordinary path through the engine.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SQLITE_BUSY_TIMEOUT_S = 30.0
_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file_of(url: str) -> str | None:
    """The file of a plain ``sqlite:///path`` URL that exists, else ``None``."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            path = url[len(prefix) :]
            break
    else:
        return None
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%#"):
        return None
    # Exactly the file pysqlite would open for this URL (no ``~`` expansion either).
    return path if os.path.isfile(path) else None


def configure(connection: Any) -> None:
    """Pragmas of every stepstone SQLite connection (see :mod:`.engine` for why)."""
    # Let us, not pysqlite, decide when transactions begin.
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _set_wal(cursor: Any) -> None:
    """Switch the file to WAL; a fresh file being switched by another process may be busy."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def in_read_only_folder(path: str) -> bool:
    """True when ``path`` exists in a folder this process cannot write (a read-only mount).

    SQLite cannot open a WAL database there at all (it needs its ``-shm`` file), so such a
    store is opened immutable: readable, and every write fails with "readonly database".
    """
    return os.path.isfile(path) and not os.access(os.path.dirname(path) or ".", os.W_OK)


def connect(path: str) -> sqlite3.Connection:
    """A configured connection to ``path`` (usable from any thread; callers hold a lock)."""
    if in_read_only_folder(path):
        target, uri = f"{Path(path).resolve().as_uri()}?immutable=1", True
    else:
        target, uri = path, False
    connection = sqlite3.connect(
        target, timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False, uri=uri
    )
    try:
        configure(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def open_if_current(path: str, revision: str) -> sqlite3.Connection | None:
    """A connection to ``path`` if its schema is exactly ``revision``, else ``None``."""
    try:
        connection = connect(path)
    except sqlite3.Error:
        return None  # let the engine path report it with the full context
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        rows = []
    if rows == [(revision,)]:
        return connection
    connection.close()
    return None


class SqliteConnector:
    """Hands :class:`~.connection.DriverConnection` sqlite3 connections, the first pre-opened."""

    shared = False
    dbapi_error: type[Exception] = sqlite3.Error
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, path: str, first: sqlite3.Connection, on_fork: Callable[[], None]) -> None:
        self._path = path
        self._first: sqlite3.Connection | None = first
        self._first_pid = os.getpid()
        self._on_fork = on_fork

    def connect(self) -> tuple[Any, Any]:
        connection, self._first = self._first, None
        if connection is None or self._first_pid != os.getpid():
            connection = connect(self._path)  # a forked child never touches its parent's
        return connection, connection

    def after_fork(self) -> None:
        self._first = None  # opened by the parent: never used or closed here
        self._on_fork()
