"""Engines, connections and error wrapping: the one boundary between stepstone and a database.

SQLite is configured for many writers in many processes: WAL (readers never block the writer),
``synchronous=NORMAL`` (no fsync per commit; WAL keeps the file consistent), a 30 s busy timeout
and ``BEGIN IMMEDIATE`` for every write transaction. The last matters most: a deferred
transaction that reads and then writes cannot wait for the write lock (SQLite would deadlock), so
it fails at once with "database is locked" whatever the busy timeout says. Taking the write lock
at ``BEGIN`` makes a writer wait its turn instead. pysqlite's own transaction handling is turned
off (``isolation_level=None``) and the ``begin`` event emits the BEGIN itself, as SQLAlchemy's
documentation recommends; SQLAlchemy connections use a plain deferred BEGIN (reads) unless given
the execution option ``stepstone_begin="IMMEDIATE"``.

Every backend error is wrapped here, once, as :class:`~stepstone.exceptions.MetadataStoreError`
with what failed and the URL with its password masked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from stepstone.exceptions import MetadataStoreError

SQLITE_BUSY_TIMEOUT_S = 30.0
POSTGRES_CONNECT_TIMEOUT_S = 10

#: Execution option naming the SQLite BEGIN mode of a SQLAlchemy connection.
BEGIN_OPTION = "stepstone_begin"

_DRIVER_HINTS = {
    "psycopg": "pip install 'stepstone[postgres]'",
    "psycopg2": "pip install psycopg2-binary",
    "pymysql": "pip install pymysql",
    "mysqldb": "pip install mysqlclient",
}


def mask_url(url: URL | str) -> str:
    """The URL as text with any password replaced by ``***`` (safe for messages and logs)."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def _scrub(text: str, url: URL) -> str:
    """Remove the password from a driver's message, should a driver ever echo it."""
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def raise_store_error(action: str, url: URL, exc: BaseException) -> NoReturn:
    """Raise ``MetadataStoreError`` for ``exc``, saying what failed and where."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = _scrub(detail[0], url) if detail else type(exc).__name__
    raise MetadataStoreError(
        f"Metadata store: could not {action} in {mask_url(url)}: {reason}"
    ) from exc


@dataclass(frozen=True, slots=True)
class Flavor:
    """What differs between backends for the hand-written SQL of the hot paths."""

    name: str
    #: ``?`` (sqlite3) or ``%s`` (psycopg, pymysql, mysqlclient).
    placeholder: str
    #: Statement opening a write transaction that holds the write lock from the start.
    begin_write: str
    #: ``INSERT`` prefix and suffix that skip rows whose unique key already exists.
    insert_ignore: str
    on_conflict_ignore: str

    def sql(self, statement: str) -> str:
        """Translate a statement written with ``?`` placeholders to this driver's paramstyle."""
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def insert_if_absent(self, table: str, columns: tuple[str, ...]) -> str:
        """``INSERT`` of one row into ``table`` that does nothing if a unique key exists."""
        marks = ", ".join("?" for _ in columns)
        return self.sql(
            f"{self.insert_ignore} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({marks}){self.on_conflict_ignore}"
        )


def flavor_of(engine: Engine) -> Flavor:
    """The :class:`Flavor` for an engine's dialect; only SQLite, PostgreSQL and MySQL are known."""
    dialect = engine.dialect
    paramstyle = dialect.paramstyle
    if paramstyle == "qmark":
        placeholder = "?"
    elif paramstyle in ("format", "pyformat"):
        placeholder = "%s"
    else:
        raise MetadataStoreError(
            f"Metadata store: the driver {dialect.driver!r} uses the {paramstyle!r} paramstyle, "
            "which stepstone does not support; use sqlite, postgresql+psycopg or mysql+pymysql."
        )
    if dialect.name == "sqlite":
        return Flavor("sqlite", placeholder, "BEGIN IMMEDIATE", "INSERT", " ON CONFLICT DO NOTHING")
    if dialect.name == "postgresql":
        return Flavor("postgresql", placeholder, "BEGIN", "INSERT", " ON CONFLICT DO NOTHING")
    if dialect.name in ("mysql", "mariadb"):
        return Flavor(dialect.name, placeholder, "START TRANSACTION", "INSERT IGNORE", "")
    raise MetadataStoreError(
        f"Metadata store: the {dialect.name!r} database is not supported; "
        "use SQLite, PostgreSQL or MySQL."
    )


def is_memory_sqlite(url: URL) -> bool:
    """True for ``sqlite://`` and ``sqlite:///:memory:`` (one private database per connection)."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url_text: str) -> tuple[Engine, URL]:
    """Create the engine for ``url_text`` with stepstone's connection settings.

    Raises:
        MetadataStoreError: the URL cannot be parsed or its driver is not installed.
    """
    try:
        url = make_url(url_text)
    except ArgumentError as exc:
        raise MetadataStoreError(
            f"Metadata store: {url_text!r} is not a database URL; expected e.g. "
            "'sqlite:///path/to/metadata.db' or 'postgresql+psycopg://user@host/db'."
        ) from exc
    kwargs: dict[str, Any] = {}
    backend = url.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        if is_memory_sqlite(url):
            # One connection, shared: a memory database lives and dies with its connection.
            kwargs["poolclass"] = StaticPool
        else:
            database = url.database or ""
            if not database.startswith("file:"):
                folder = Path(database).expanduser().parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise MetadataStoreError(
                        f"Metadata store: cannot create the folder {str(folder)!r} for "
                        f"{mask_url(url)}: {exc.strerror or exc}; choose a writable location."
                    ) from exc
    elif backend == "postgresql" and "connect_timeout" not in url.query:
        kwargs["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError as exc:
        raise MetadataStoreError(
            f"Metadata store: no SQLAlchemy dialect for {mask_url(url)}; check the URL's scheme."
        ) from exc
    except ImportError as exc:
        hint = _DRIVER_HINTS.get(url.get_driver_name(), "install the database driver")
        raise MetadataStoreError(
            f"Metadata store: the driver for {mask_url(url)} is not installed ({exc}); {hint}."
        ) from exc
    except (ArgumentError, SQLAlchemyError, TypeError) as exc:
        raise_store_error("create an engine", url, exc)
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine, url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us, not pysqlite, decide when transactions begin (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            _set_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _set_wal(cursor: Any) -> None:
    """Switch the file to WAL; a fresh file being switched by another process may be busy."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # sqlite3.OperationalError; the driver module is not imported
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextmanager
def wrapped(action: str, url: URL) -> Iterator[None]:
    """Turn SQLAlchemy and driver errors raised inside the block into ``MetadataStoreError``."""
    try:
        yield
    except MetadataStoreError:
        raise
    except SQLAlchemyError as exc:
        raise_store_error(action, url, exc)
