"""Opening (or creating) an up-to-date SQLite store without importing SQLAlchemy.

Importing SQLAlchemy costs more than a cached pipeline run or a ``stepstone runs list`` does
(~0.2-0.4 s on a laptop, most of a CLI command's budget). So when the URL is a plain SQLite file
that already holds the code's schema revision, the store opens that file with the ``sqlite3``
module directly, configured exactly as the engine configures its connections, and uses it as
the hot-path connection (writes, cache lookups) and for the runs page reads (:mod:`.runs`).
SQLAlchemy is imported only when another read, a delete or a migration needs it.

A new store (no file yet in an existing folder, or a file without tables) is created here too,
from the DDL text of :mod:`.sqlite_schema`, in about a millisecond: a new file is published
whole, from an empty database built once per process. Anything unusual — an
in-memory database, a URL with query options, a folder to create, another revision — takes the
ordinary path through the engine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stepstone.metadata.sql import sqlite_schema

SQLITE_BUSY_TIMEOUT_S = 30.0
#: WAL pages a commit may leave before it copies them into the database file (SQLite's default
#: is 1,000). An executed step's record writes ~30 pages, so the default checkpointed every ~33
#: steps, each time with two fsyncs (``synchronous=NORMAL`` syncs only there): ~10% of an
#: executed step. Ten times fewer checkpoints, each copying a page rewritten by many commits
#: once; the WAL (~40 MB at most) is removed when the last connection closes.
WAL_CHECKPOINT_PAGES = 10_000
_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file_of(url: str) -> str | None:
    """The file of a plain ``sqlite:///path`` URL (which may not exist yet), else ``None``."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            path = url[len(prefix) :]
            break
    else:
        return None
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%#"):
        return None
    # Exactly the file pysqlite would open for this URL (no ``~`` expansion either).
    return path


def configure(connection: Any) -> None:
    """Pragmas of every stepstone SQLite connection (see :mod:`.engine` for why)."""
    # Let us, not pysqlite, decide when transactions begin.
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
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
    """A connection to ``path`` if its schema is exactly ``revision``, else ``None``.

    A file that does not exist yet, or exists with no table at all, is a new store: it gets
    the current schema here (:func:`create_if_empty`) when :mod:`.sqlite_schema` is at
    ``revision`` (its folder is made, as the engine path makes it). Anything else (an older
    revision, a newer one, a folder that cannot be made) is left to the engine path, which
    migrates or explains.
    """
    creatable = sqlite_schema.REVISION == revision
    if not os.path.isfile(path):
        if not creatable or path.startswith("~"):
            return None
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        except OSError:
            return None  # the engine path reports it
        _publish_empty_store(path)
    try:
        connection = connect(path)
    except sqlite3.Error:
        return None  # let the engine path report it with the full context
    try:
        found = _revisions(connection)
        if not found and creatable:
            found = create_if_empty(connection)
        if found == [(revision,)]:
            return connection
    except sqlite3.Error:
        pass  # e.g. a read-only or damaged file: the engine path says why
    connection.close()
    return None


@functools.cache
def _empty_store() -> bytes:
    """The bytes of a database holding the current schema and nothing else, made once.

    Built in memory (~1 ms) from the same DDL as :func:`create_if_empty`: writing these bytes
    costs a new store half of what running that DDL against the new file does.
    """
    memory = sqlite3.connect(":memory:")
    try:
        for statement in sqlite_schema.STATEMENTS:
            memory.execute(statement)
        memory.execute(
            "INSERT INTO alembic_version (version_num) VALUES (?)", (sqlite_schema.REVISION,)
        )
        memory.commit()
        return memory.serialize()
    finally:
        memory.close()


def _publish_empty_store(path: str) -> None:
    """Put a complete empty store at ``path`` in one step, unless a file is there by then.

    The bytes go to a private file beside it, which is then hard-linked at ``path``: another
    process opening the store at that moment finds either no file or the whole schema, and of
    several creating it at once the first link wins. Where the file system refuses hard links
    nothing is published, and :func:`create_if_empty` makes the schema in the opened file.
    """
    private = f"{path}.new-{os.getpid()}-{threading.get_ident()}"
    try:
        with open(private, "xb") as file:
            file.write(_empty_store())
        os.link(private, path)
    except OSError:
        pass  # a file is there already, or no hard links here: the ordinary creation
    finally:
        with contextlib.suppress(OSError):
            os.unlink(private)


def _revisions(connection: sqlite3.Connection) -> list[tuple[str]]:
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return []  # no such table: a new database, or not a stepstone one


def create_if_empty(connection: sqlite3.Connection) -> list[tuple[str]]:
    """Create the current schema in a database without tables; the revisions found after.

    Runs under ``BEGIN IMMEDIATE``, SQLite's write lock, which every opener takes before it
    changes the schema (the engine path too): of several processes opening a new file at once,
    one creates the tables and the others find them, and its schema revision, made.
    """
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1")
            if cursor.fetchone() is None:
                for statement in sqlite_schema.STATEMENTS:
                    cursor.execute(statement)
                cursor.execute(
                    "INSERT INTO alembic_version (version_num) VALUES (?)",
                    (sqlite_schema.REVISION,),
                )
            found = _revisions(connection)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        cursor.close()
    return found


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
