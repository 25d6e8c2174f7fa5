"""The metadata schema as SQLAlchemy Core tables.

These definitions are the *current* shape of the schema, used to build queries. The schema in a
database is created and changed only by the Alembic revisions in ``metadata/migrations``; a
contract test compares the two so they cannot drift apart.

Choices worth knowing:

* Ids are strings made by the writer (uuid4 hex), so a run driver can name rows before it writes
  them and batch the writes.
* JSON values (parameters, cache components, summaries) are stored as text: every backend has
  text, the store owns the encoding, and no query filters inside them.
* Timestamps are :class:`UtcDateTime`: stored as UTC, read back as *aware* UTC datetimes on every
  backend (SQLite keeps naive strings, PostgreSQL a ``timestamptz`` shown in the session's zone).
* ``artifacts.producer_step_run_id`` and ``step_runs.cached_from`` are not foreign keys: they are
  history, and pruning old runs must not be blocked by (or cascade into) the artifacts they made.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

# The SQLite timestamp text, without SQLAlchemy (the fast paths use them; a test holds them equal).
from stepstone.metadata.sql.codec import sqlite_datetime_in, sqlite_datetime_out

#: Lengths shared with the migrations; ids are uuid4 hex by convention.
RUN_ID_LENGTH = 32
ID_LENGTH = 64
NAME_LENGTH = 255
HASH_LENGTH = 64
STATUS_LENGTH = 16

__all__ = ["sqlite_datetime_in", "sqlite_datetime_out"]  # re-exported; the tables follow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Backends without time zones in their timestamps: they store the UTC wall time.
NAIVE_TIMESTAMP_DIALECTS = frozenset({"sqlite", "mysql", "mariadb"})

#: Text of any length: MySQL's TEXT stops at 64 KiB, too little for a step's logs.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware in UTC.

    A naive datetime is refused rather than guessed at: local wall-clock times silently stored as
    UTC would shift every duration and ordering a user sees.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))  # keep the microseconds
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given to the metadata store; "
                "pass an aware datetime, e.g. datetime.now(UTC)"
            )
        value = value.astimezone(UTC)
        # No time zones there: store the UTC wall time, restore the zone when reading.
        return value.replace(tzinfo=None) if dialect.name in NAIVE_TIMESTAMP_DIALECTS else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: MySQL compares text case-insensitively by default; stepstone's names and ids are exact
#: (revision 0002 converts the tables; Alembic does not compare table options, so keep in step).
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

pipelines = Table(
    "pipelines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_LENGTH), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    **MYSQL_TABLE,
)

pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("id", String(RUN_ID_LENGTH), primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False, unique=True),
    Column("pipeline_id", Integer, ForeignKey("pipelines.id"), nullable=False),
    Column("status", String(STATUS_LENGTH), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("parameters", LongText, nullable=False),
    # The traced DAG as JSON (NULL for runs recorded before revision 0002).
    Column("graph", LongText, nullable=True),
    # The runs page: newest first (ties broken by id), overall and per pipeline.
    Index(None, "started_at", "id"),
    Index(None, "pipeline_id", "started_at", "id"),
    **MYSQL_TABLE,
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("run_id", String(RUN_ID_LENGTH), ForeignKey("pipeline_runs.id"), nullable=False),
    # Explain's "previous run of this step"; clearing the cache of one step.
    Column("name", String(NAME_LENGTH), nullable=False, index=True),
    Column("step_name", String(NAME_LENGTH), nullable=False),
    Column("status", String(STATUS_LENGTH), nullable=False),
    Column("position", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("duration", Double, nullable=True),
    Column("cache_key", String(HASH_LENGTH), nullable=True, index=True),
    Column("cache_components", LongText, nullable=False),
    Column("parameters", LongText, nullable=False),
    Column("cached_from", String(ID_LENGTH), nullable=True),
    Column("error", LongText, nullable=True),
    # get_step_runs reads by run in execution order; with the status too, the per-run step and
    # cached counts of list_runs are answered from the index alone.
    Index(None, "run_id", "position", "status"),
    **MYSQL_TABLE,
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("content_hash", String(HASH_LENGTH), nullable=False, index=True),
    Column("uri", LongText, nullable=False),
    Column("data_type", String(NAME_LENGTH), nullable=False),
    Column("materializer", String(NAME_LENGTH), nullable=False),
    Column("materializer_version", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("producer_step_run_id", String(ID_LENGTH), nullable=True, index=True),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
    Column("summary", LongText, nullable=False),
    **MYSQL_TABLE,
)

step_run_artifacts = Table(
    "step_run_artifacts",
    metadata,
    Column("step_run_id", String(ID_LENGTH), ForeignKey("step_runs.id"), nullable=False),
    Column("artifact_id", String(ID_LENGTH), ForeignKey("artifacts.id"), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    PrimaryKeyConstraint("step_run_id", "direction", "name"),
    # Lineage upwards: which step runs read or wrote this artifact.
    Index(None, "artifact_id"),
    **MYSQL_TABLE,
)

step_logs = Table(
    "step_logs",
    metadata,
    Column("step_run_id", String(ID_LENGTH), ForeignKey("step_runs.id"), primary_key=True),
    Column("text", LongText, nullable=False),
    **MYSQL_TABLE,
)

cache_entries = Table(
    "cache_entries",
    metadata,
    Column("cache_key", String(HASH_LENGTH), primary_key=True),
    Column("step_run_id", String(ID_LENGTH), ForeignKey("step_runs.id"), nullable=False),
    Column("pipeline_name", String(NAME_LENGTH), nullable=False),
    Column("step_name", String(NAME_LENGTH), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
    Index(None, "step_run_id"),
    **MYSQL_TABLE,
)
