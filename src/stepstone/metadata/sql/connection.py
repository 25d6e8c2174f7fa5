"""The store's one raw driver connection: its lifetime, forks, locking and error wrapping.

A run driver calls :meth:`~stepstone.metadata.store.MetadataStore.lookup_cache` and
:meth:`~stepstone.metadata.store.MetadataStore.record_step_runs` once per step, so their cost is
the framework's overhead per step. Going through SQLAlchemy's execution layer costs ~170 µs a
statement; the sqlite3 driver itself ~13 µs. So these paths hold one DBAPI connection for the
store's lifetime (detached from the pool, guarded by a lock), run hand-written SQL
(:mod:`.statements`) translated once to the driver's paramstyle, and batch rows with
``executemany``.

The connection runs in driver autocommit mode: a lookup is a single statement and needs no
transaction (and leaves none open on PostgreSQL to block a migration), while writes open their own
with :attr:`Flavor.begin_write` — ``BEGIN IMMEDIATE`` on SQLite, see :mod:`.engine`.

Timestamps are converted exactly as :class:`~.tables.UtcDateTime` does — through the dialect's
own processors, or on SQLite through equivalent functions ~2x faster (a test holds them equal) —
so a row written here is byte-for-byte what SQLAlchemy would write and reads back equal via Core.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.sql.codec import (
    DateTimeIn,
    DateTimeOut,
    sqlite_datetime_in,
    sqlite_datetime_out,
)
from stepstone.metadata.sql.flavor import DriverErrors, Flavor, is_transient

if TYPE_CHECKING:
    from sqlalchemy import Dialect

T = TypeVar("T")

#: Tries of a write transaction the server aborted to break a deadlock (see ``write``).
_TRANSIENT_TRIES = 8

#: Connections inherited over ``fork``: kept referenced so the child never closes them.
_INHERITED: list[tuple[Any, Any, Any]] = []


class Connector(Protocol):
    """Where :class:`DriverConnection` gets its connections (an engine, or sqlite3 directly)."""

    #: The connection is also the engine pool's (SQLite ``:memory:``): never close it here.
    shared: bool
    #: The driver's base exception class.
    dbapi_error: type[Exception]
    #: What a failing database raises here: the driver's errors, and SQLAlchemy's if connections
    #: come from an engine (it wraps connect errors in its own types).
    errors: tuple[type[Exception], ...]

    def connect(self) -> tuple[Any, Any]:
        """``(owner to keep referenced, DBAPI connection in autocommit mode)``."""

    def after_fork(self) -> None:
        """Forget what the parent process opened (without closing it)."""


def datetime_codecs(dialect: Dialect | None) -> tuple[DateTimeIn, DateTimeOut]:
    """Timestamp conversions for raw driver values, equal to what ``UtcDateTime`` does.

    ``None`` means SQLite (no dialect at hand on the fast path).
    """
    if dialect is None or dialect.name == "sqlite":
        return sqlite_datetime_in, sqlite_datetime_out
    from stepstone.metadata.sql.tables import UtcDateTime

    utc = UtcDateTime().dialect_impl(dialect)
    dt_in = utc.bind_processor(dialect) or (lambda value: value)
    return dt_in, utc.result_processor(dialect, None) or (lambda value: value)


class DriverConnection:
    """One autocommitting DBAPI connection, shared by threads through a lock.

    Args:
        connector: opens the connection (again after a fork or a lost connection).
        where: the masked URL, for error messages.
        flavor: the SQL differences of the backend.
        codecs: timestamp conversions (:func:`datetime_codecs`).
        secret: the password, scrubbed from driver messages should one echo it.
    """

    def __init__(
        self,
        connector: Connector,
        where: str,
        flavor: Flavor,
        codecs: tuple[DateTimeIn, DateTimeOut],
        secret: str = "",
    ) -> None:
        self.flavor = flavor
        self.lock = threading.RLock()
        self._connector = connector
        self._where = where
        self._secret = secret
        self._shared = connector.shared
        self._dbapi_error: type[Exception] = connector.dbapi_error
        self._errors = connector.errors
        self._proxy: Any = None
        self._connection: Any = None
        self._cursor: Any = None
        self._pid = 0
        self.dt_in, self.dt_out = codecs
        self._sql_cache: dict[tuple[str, int], str] = {}

    def errors(self, action: str) -> DriverErrors:
        """A block whose database errors become ``MetadataStoreError`` naming ``action``."""
        return DriverErrors(action, self._where, self._errors, self._secret)

    # -- connection lifetime ----------------------------------------------------------------

    def _cursor_now(self) -> Any:
        """The cursor, connecting on first use and again after a fork or a lost connection."""
        if self._cursor is not None and self._pid == os.getpid():
            return self._cursor
        if self._pid not in (0, os.getpid()):
            # Inherited over fork: the parent still uses this socket or file, so the child must
            # neither use nor close it (closing a SQLite file drops the parent's POSIX locks).
            _INHERITED.append((self._proxy, self._connection, self._cursor))
            self._proxy = self._connection = self._cursor = None
            self._connector.after_fork()
        proxy, connection = self._connector.connect()
        self._proxy, self._connection = proxy, connection
        self._cursor = connection.cursor()
        self._pid = os.getpid()
        return self._cursor

    def close(self) -> None:
        """Close the connection (a shared one is left to the engine's pool)."""
        with self.lock:
            if self._connection is not None and self._pid == os.getpid() and not self._shared:
                try:
                    self._cursor.close()
                    self._connection.close()
                except self._dbapi_error:
                    pass  # closing a broken connection: nothing left to release
            self._proxy = self._connection = self._cursor = None
            self._pid = 0

    def _discard(self) -> None:
        """Forget a connection that failed mid-transaction so the next call reconnects."""
        if self._shared:
            return
        try:
            self._connection.close()
        except self._dbapi_error:
            pass
        self._proxy = self._connection = self._cursor = None

    # -- statements -------------------------------------------------------------------------

    def sql_for(self, name: str, count: int, build: Callable[[int], str]) -> str:
        """Statement ``name`` for ``count`` values, built once and translated to the paramstyle."""
        key = (name, count)
        statement = self._sql_cache.get(key)
        if statement is None:
            statement = self._sql_cache[key] = self.flavor.sql(build(count))
        return statement

    def query(self, action: str, statement: str, params: Sequence[Any]) -> list[Any]:
        """Run one statement outside any transaction and return all rows.

        A SELECT, or a single write with ``RETURNING`` (the connection autocommits: the
        statement is its own transaction).
        """
        with self.lock, self.errors(action):
            cursor = self._cursor_now()
            try:
                cursor.execute(statement, params)
                return cursor.fetchall()
            except self._dbapi_error:
                self._discard_if_broken()
                raise

    def write(self, action: str, body: Callable[[Any], T], *, pipelined: bool = False) -> T:
        """Run ``body(cursor)`` in one write transaction and return what it returns.

        Commits when ``body`` returns, rolls back if it raises. Driver errors become
        ``MetadataStoreError`` naming ``action``.

        A server may abort a transaction to break a deadlock or a lock wait (MySQL/MariaDB take
        gap locks under REPEATABLE READ, so two runs inserting beside each other can deadlock;
        PostgreSQL aborts a deadlock cycle too). Nothing of it was written, and the server's
        advice is to run it again: ``body`` runs again, a few times, apart by a short random
        pause. So ``body`` must only execute statements on the cursor (and compute from what
        they return), never change anything else that a second run would change twice.

        ``pipelined`` sends the statements in psycopg 3's pipeline mode: one network round trip
        instead of one per statement (a committed one-step write went from ~2.0 to ~1.2 ms on the
        benchmark machine). Only for bodies that do not read ``cursor.rowcount``, which pipeline
        mode does not report.
        """
        attempt = 1
        while True:
            try:
                return self._transaction(action, body, pipelined)
            except MetadataStoreError as exc:
                if attempt == _TRANSIENT_TRIES or not is_transient(exc.__cause__):
                    raise
            time.sleep(random.uniform(0, 0.01 * attempt))  # noqa: S311 - not security
            attempt += 1

    def _transaction(self, action: str, body: Callable[[Any], T], pipelined: bool) -> T:
        """``body(cursor)`` in a write transaction holding the write lock from its start.

        A plain method rather than a generator-based context manager: it runs in every
        executed step's write.
        """
        with self.lock, self.errors(action):
            cursor = self._cursor_now()
            pipeline = getattr(self._connection, "pipeline", None) if pipelined else None
            try:
                with pipeline() if pipeline is not None else nullcontext():
                    cursor.execute(self.flavor.begin_write)
                    result = body(cursor)
                    cursor.execute("COMMIT")
            except BaseException:
                self._rollback(cursor)
                raise
            return result

    def _rollback(self, cursor: Any) -> None:
        try:
            cursor.execute("ROLLBACK")
        except self._dbapi_error:
            self._discard()  # the connection is gone or wedged: start afresh next time

    def _discard_if_broken(self) -> None:
        try:
            self._cursor.execute("SELECT 1")
            self._cursor.fetchall()
        except self._dbapi_error:
            self._discard()
