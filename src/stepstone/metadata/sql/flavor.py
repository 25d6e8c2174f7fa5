"""What differs between backends for hand-written SQL, and the one place errors are wrapped.

Every database error, from the raw driver connection and from SQLAlchemy Core alike, becomes a
:class:`~stepstone.exceptions.MetadataStoreError` in :class:`DriverErrors`: what failed, where
(the URL with its password masked) and the driver's reason.

Kept free of SQLAlchemy imports: the SQLite fast path (:mod:`.sqlite_direct`) opens an existing
store and serves the run driver and ``stepstone runs list`` without importing SQLAlchemy at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import NoReturn

from stepstone.exceptions import MetadataStoreError


@dataclass(frozen=True, slots=True)
class Flavor:
    """What differs between backends for the hand-written SQL of the hot paths."""

    name: str
    #: ``?`` (sqlite3) or ``%s`` (psycopg, pymysql, mysqlclient).
    placeholder: str
    #: Statement opening a write transaction that holds the write lock from the start.
    begin_write: str

    def sql(self, statement: str) -> str:
        """Translate a statement written with ``?`` placeholders to this driver's paramstyle."""
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def insert_if_absent(self, table: str, columns: tuple[str, ...]) -> str:
        """``INSERT`` of one row into ``table`` that does nothing if a unique key exists.

        MySQL's ``INSERT IGNORE`` is not used: it also turns other errors (a string too long, a
        missing foreign key) into warnings and silently stores something else. A no-op
        ``ON DUPLICATE KEY UPDATE`` skips duplicates only.
        """
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        if self.name in ("mysql", "mariadb"):
            statement += f" ON DUPLICATE KEY UPDATE {columns[0]} = {columns[0]}"
        else:
            statement += " ON CONFLICT DO NOTHING"
        return self.sql(statement)


SQLITE = Flavor("sqlite", "?", "BEGIN IMMEDIATE")


def flavor_for(dialect_name: str, placeholder: str) -> Flavor | None:
    """The flavor of a dialect (``None`` if unsupported)."""
    if dialect_name == "sqlite":
        return Flavor("sqlite", placeholder, "BEGIN IMMEDIATE")
    if dialect_name == "postgresql":
        return Flavor("postgresql", placeholder, "BEGIN")
    if dialect_name in ("mysql", "mariadb"):
        return Flavor(dialect_name, placeholder, "START TRANSACTION")
    return None


#: Server error codes of a transaction aborted to be run again: MySQL/MariaDB deadlock (1213) and
#: lock wait timeout (1205); PostgreSQL SQLSTATEs deadlock_detected and serialization_failure.
_MYSQL_TRANSIENT = frozenset({1205, 1213})
_POSTGRES_TRANSIENT = frozenset({"40P01", "40001"})


def is_transient(exc: BaseException | None) -> bool:
    """Whether a driver error means "aborted, nothing written: run the transaction again".

    Read from the driver's own error (SQLAlchemy's wrapper keeps it as ``orig``): psycopg's
    ``sqlstate``, and the numeric code pymysql and mysqlclient put first in ``args``.
    """
    exc = getattr(exc, "orig", None) or exc
    if exc is None:
        return False
    if getattr(exc, "sqlstate", None) in _POSTGRES_TRANSIENT:
        return True
    code = exc.args[0] if exc.args else None
    return isinstance(code, int) and code in _MYSQL_TRANSIENT


class DriverErrors:
    """A block whose database errors become ``MetadataStoreError``: what failed, where, and why.

    Used by the driver connection (its errors are the driver's, and SQLAlchemy's when the
    connections come from an engine) and around every SQLAlchemy Core block. A class rather than
    a generator-based context manager: it wraps every cache lookup, so its cost counts.

    Args:
        action: what was being done, e.g. ``"look up cache keys"`` ("could not <action>").
        where: the database URL with its password masked.
        errors: the exception types that mean "the database failed".
        secret: the password, scrubbed from the message should a driver echo it.
    """

    __slots__ = ("action", "errors", "secret", "where")

    def __init__(
        self, action: str, where: str, errors: tuple[type[BaseException], ...], secret: str = ""
    ) -> None:
        self.action = action
        self.where = where
        self.errors = errors
        self.secret = secret

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # A store error raised inside the block already says what failed: let it through.
        if isinstance(exc, self.errors) and not isinstance(exc, MetadataStoreError):
            _raise_store_error(self.action, self.where, exc, self.secret)


def _raise_store_error(action: str, where: str, exc: BaseException, secret: str) -> NoReturn:
    """Raise ``MetadataStoreError`` for ``exc``: what failed, where (a masked URL) and why."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = detail[0] if detail else type(exc).__name__
    if secret:
        reason = reason.replace(secret, "***")  # should a driver ever echo the password
    if "file is not a database" in reason or "disk image is malformed" in reason:
        reason += (
            ": the metadata database file is damaged. Artifacts are stored apart from it and are"
            " intact. To start a new metadata database, move the damaged file aside (with its"
            " -wal and -shm files); the next run records into a fresh one (earlier runs are then"
            " no longer listed, and their steps run once more)"
        )
    if "readonly database" in reason:
        reason += (
            " (the database is read-only, e.g. a home on a read-only mount: reading works, "
            "writes need a writable home; set STEPSTONE_HOME or metadata_url to a writable place)"
        )
    raise MetadataStoreError(f"Metadata store: could not {action} in {where}: {reason}") from exc
