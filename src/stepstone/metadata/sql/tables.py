"""The metadata schema as SQLAlchemy Core tables, built from the column specs of :mod:`.columns`.

These definitions are the *current* shape of the schema: queries are built from them, and a new
database is created from them (``create_all``, see :mod:`.schema`). An older database is changed
only by the Alembic revisions in ``metadata/migrations``; contract tests hold the two equal.
What is added here to the specs: the SQL types, and the multi-column indexes and keys.

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
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeDecorator, TypeEngine

from stepstone.metadata.sql.columns import (
    ARTIFACT_TAGS,
    ARTIFACT_VERSIONS,
    ARTIFACTS,
    CACHE_ENTRIES,
    MODEL_VERSION_ARTIFACTS,
    MODEL_VERSIONS,
    MODELS,
    PIPELINE_RUNS,
    PIPELINES,
    RUN_METADATA,
    STEP_LEASES,
    STEP_LOGS,
    STEP_RUN_ARTIFACTS,
    STEP_RUNS,
    STEP_WAITS,
    ColumnSpec,
    Kind,
    TableSpec,
)

__all__ = [
    "UtcDateTime",
    "artifact_tags",
    "artifact_versions",
    "artifacts",
    "cache_entries",
    "metadata",
    "model_version_artifacts",
    "model_versions",
    "models",
    "pipeline_runs",
    "pipelines",
    "run_metadata",
    "step_leases",
    "step_logs",
    "step_run_artifacts",
    "step_runs",
    "step_waits",
]

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


def _type(column: ColumnSpec) -> TypeEngine[Any]:
    kind = column.kind
    if kind is Kind.STRING:
        return String(column.length)
    if kind in (Kind.TEXT, Kind.JSON):
        return LongText
    if kind is Kind.TIMESTAMP:
        return UtcDateTime()
    if kind is Kind.INTEGER:
        return Integer()
    if kind is Kind.BIG_INTEGER:
        return BigInteger()
    return Double()


def _column(column: ColumnSpec) -> Column[Any]:
    keys = () if column.references is None else (ForeignKey(column.references),)
    return Column(
        column.name,
        _type(column),
        *keys,
        primary_key=column.primary_key,
        # Only the integer id of pipelines is made by the database; other ids by the writer.
        autoincrement=True if column.primary_key and column.kind is Kind.INTEGER else "auto",
        nullable=column.nullable,
        unique=column.unique or None,
        index=column.index or None,
    )


def _table(spec: TableSpec, *extra: SchemaItem) -> Table:
    return Table(spec.name, metadata, *map(_column, spec.columns), *extra, **MYSQL_TABLE)


pipelines = _table(PIPELINES)
pipeline_runs = _table(
    PIPELINE_RUNS,
    # The runs page: newest first (ties broken by id), overall and per pipeline.
    Index(None, "started_at", "id"),
    Index(None, "pipeline_id", "started_at", "id"),
)
step_runs = _table(
    STEP_RUNS,
    # get_step_runs reads by run in execution order; with the status too, the per-run step and
    # cached counts of list_runs are answered from the index alone.
    Index(None, "run_id", "position", "status"),
)
artifacts = _table(ARTIFACTS)
step_run_artifacts = _table(
    STEP_RUN_ARTIFACTS,
    PrimaryKeyConstraint("step_run_id", "direction", "name"),
    # Lineage upwards: which step runs read or wrote this artifact.
    Index(None, "artifact_id"),
)
step_logs = _table(STEP_LOGS)
cache_entries = _table(CACHE_ENTRIES, Index(None, "step_run_id"))
run_metadata = _table(
    RUN_METADATA,
    # One value per key and resource; reads fetch every key of a few resources at once.
    PrimaryKeyConstraint("resource_type", "resource_id", "name"),
)
artifact_tags = _table(ARTIFACT_TAGS, PrimaryKeyConstraint("artifact_id", "tag"))
artifact_versions = _table(
    ARTIFACT_VERSIONS,
    # A name's versions are unique; the constraint's index also serves reads by name.
    UniqueConstraint("name", "version"),
    # The highest number of a name, read by every executed step, in one index probe.
    Index(None, "name", "number"),
)
step_leases = _table(STEP_LEASES)
step_waits = _table(STEP_WAITS, PrimaryKeyConstraint("run_id", "step_name"))
models = _table(MODELS)
model_versions = _table(
    MODEL_VERSIONS,
    # Versions are named and numbered once per model; the first key also serves reads by model.
    UniqueConstraint("model_id", "name"),
    UniqueConstraint("model_id", "number"),
)
model_version_artifacts = _table(
    MODEL_VERSION_ARTIFACTS, PrimaryKeyConstraint("model_version_id", "artifact_id")
)
