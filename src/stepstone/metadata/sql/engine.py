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

Errors raised through SQLAlchemy are wrapped by :func:`store_errors`, the same
:class:`~.flavor.DriverErrors` the driver connection uses: a ``MetadataStoreError`` with what
failed and the URL with its password masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.sql import sqlite_direct
from stepstone.metadata.sql.flavor import DriverErrors, Flavor, flavor_for

SQLITE_BUSY_TIMEOUT_S = sqlite_direct.SQLITE_BUSY_TIMEOUT_S
#: Seconds to wait for a PostgreSQL or MySQL server to accept a connection.
SERVER_CONNECT_TIMEOUT_S = 10
#: Seconds a MySQL connection waits for any answer, the handshake included. PyMySQL applies
#: ``connect_timeout`` to the TCP connect only, so without it a server that accepts and never
#: answers hangs the process forever. Longer than any statement stepstone waits on (the
#: migration lock's wait, :data:`.schema.MYSQL_LOCK_TIMEOUT_S`, is shorter).
MYSQL_READ_TIMEOUT_S = 120

#: Execution option naming the SQLite BEGIN mode of a SQLAlchemy connection.
BEGIN_OPTION = "stepstone_begin"

_DRIVER_HINTS = {
    "psycopg": "pip install 'stepstone[postgres]'",
    "psycopg2": "pip install psycopg2-binary",
    "pymysql": "pip install 'stepstone[mysql]'",
    "mysqldb": "pip install mysqlclient",
}


def mask_url(url: URL | str) -> str:
    """The URL as text with any password replaced by ``***`` (safe for messages and logs)."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def store_errors(
    action: str, url: URL, errors: tuple[type[BaseException], ...] = (SQLAlchemyError,)
) -> DriverErrors:
    """A block whose SQLAlchemy (or other ``errors``) become ``MetadataStoreError``."""
    return DriverErrors(action, mask_url(url), errors, str(url.password or ""))


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
    flavor = flavor_for(dialect.name, placeholder)
    if flavor is None:
        raise MetadataStoreError(
            f"Metadata store: the {dialect.name!r} database is not supported; "
            "use SQLite, PostgreSQL or MySQL."
        )
    return flavor


class EngineConnector:
    """Hands :class:`~.connection.DriverConnection` autocommitting DBAPI connections of an engine.

    A connection is detached from the pool (ours for good; returning it would leak autocommit
    mode), except a shared one (SQLite ``:memory:``), which is the pool's only connection.
    """

    def __init__(self, engine: Engine, *, shared: bool = False) -> None:
        self._engine = engine
        self.shared = shared
        self.dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.errors: tuple[type[Exception], ...] = (self.dbapi_error, SQLAlchemyError)

    def connect(self) -> tuple[Any, Any]:
        proxy = self._engine.raw_connection()
        if not self.shared:
            proxy.detach()
        connection: Any = proxy.dbapi_connection
        self._engine.dialect.set_isolation_level(connection, "AUTOCOMMIT")
        return proxy, connection

    def after_fork(self) -> None:
        self._engine.dispose(close=False)


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
            if sqlite_direct.in_read_only_folder(database):
                kwargs["creator"] = lambda: sqlite_direct.connect(database)
            elif not database.startswith("file:"):
                folder = Path(database).expanduser().parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise MetadataStoreError(
                        f"Metadata store: cannot create the folder {str(folder)!r} for "
                        f"{mask_url(url)}: {exc.strerror or exc}; choose a writable location."
                    ) from exc
    elif backend == "postgresql" and "connect_timeout" not in url.query:
        kwargs["connect_args"] = {"connect_timeout": SERVER_CONNECT_TIMEOUT_S}
    elif backend in ("mysql", "mariadb"):
        if "charset" not in url.query:
            # Four-byte UTF-8 (the server's "utf8" is three bytes and rejects emoji).
            url = url.update_query_dict({"charset": "utf8mb4"})
        kwargs["connect_args"] = {
            name: seconds
            for name, seconds in (
                ("connect_timeout", SERVER_CONNECT_TIMEOUT_S),
                ("read_timeout", MYSQL_READ_TIMEOUT_S),
                ("write_timeout", MYSQL_READ_TIMEOUT_S),
            )
            if name not in url.query
        }
        # The server drops connections idle for wait_timeout (8 h by default).
        kwargs["pool_recycle"] = 3600
    with store_errors("create an engine", url, (SQLAlchemyError, TypeError)):
        try:
            engine = create_engine(url, **kwargs)
        except NoSuchModuleError as exc:
            raise MetadataStoreError(
                f"Metadata store: no SQLAlchemy dialect for {mask_url(url)}; "
                "check the URL's scheme."
            ) from exc
        except ImportError as exc:
            hint = _DRIVER_HINTS.get(url.get_driver_name(), "install the database driver")
            raise MetadataStoreError(
                f"Metadata store: the driver for {mask_url(url)} is not installed ({exc}); {hint}."
            ) from exc
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine, url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        sqlite_direct.configure(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
