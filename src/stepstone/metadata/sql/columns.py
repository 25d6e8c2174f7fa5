"""The metadata schema's columns, once, without SQLAlchemy.

Every table is one :class:`TableSpec`: its columns in order, each with the kind of value it holds,
whether it may be NULL, its keys, and the record attribute it maps to. Three things are derived
from it and from nothing else:

* the SQLAlchemy Core tables (:mod:`.tables`, which adds only the multi-column indexes and keys);
* the hand-written SQL of the hot paths (:mod:`.statements`): column lists of INSERTs and SELECTs;
* encoding records into rows and decoding rows back into records, by name (:mod:`.codec`).

Adding a column is then: a migration, a :class:`ColumnSpec` here, the record's attribute.
A contract test holds the migrations equal to the tables built from these specs.

Kept free of SQLAlchemy: the SQLite fast path (:mod:`.sqlite_direct`) opens a store and serves
the run driver without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

#: Lengths shared with the migrations; ids are uuid4 hex by convention.
RUN_ID_LENGTH = 32
ID_LENGTH = 64
NAME_LENGTH = 255
HASH_LENGTH = 64
STATUS_LENGTH = 16
VERSION_LENGTH = 64
DIRECTION_LENGTH = 8
ARTIFACT_TYPE_LENGTH = 32


class Kind(Enum):
    """What a column holds, which decides its SQL type and how values are converted."""

    #: ``VARCHAR(length)``, stored and read as is.
    STRING = "string"
    #: Text of any length (MySQL's ``TEXT`` stops at 64 KiB: ``LONGTEXT`` there).
    TEXT = "text"
    #: A mapping stored as JSON text (see :func:`.codec.encode_json`).
    JSON = "json"
    #: An aware UTC datetime (see :class:`.tables.UtcDateTime`).
    TIMESTAMP = "timestamp"
    INTEGER = "integer"
    BIG_INTEGER = "big_integer"
    DOUBLE = "double"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column: its name, what it holds, and the record attribute it maps to.

    Attributes:
        name: the column's name in the database.
        kind: what it holds (its SQL type and value conversion).
        length: the ``VARCHAR`` length of a :attr:`Kind.STRING` column.
        nullable: whether it may be NULL.
        primary_key: part of a one-column primary key (multi-column keys live in :mod:`.tables`).
        unique: a one-column unique constraint.
        index: a one-column index.
        references: ``"table.column"`` of a foreign key.
        attribute: the record attribute it maps to, when that differs from ``name`` (the
            database keeps the name of its first revision; records say what the value means).
    """

    name: str
    kind: Kind
    length: int | None = None
    nullable: bool = False
    primary_key: bool = False
    unique: bool = False
    index: bool = False
    references: str | None = None
    attribute: str | None = None

    @property
    def field(self) -> str:
        """The record attribute this column maps to."""
        return self.attribute or self.name


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table: its name and its columns in order."""

    name: str
    columns: tuple[ColumnSpec, ...]
    names: tuple[str, ...] = field(init=False)
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(column.name for column in self.columns))
        object.__setattr__(self, "fields", tuple(column.field for column in self.columns))

    def positions(self, kind: Kind) -> tuple[int, ...]:
        """Positions (in :attr:`names` order) of the columns holding ``kind``."""
        return tuple(i for i, column in enumerate(self.columns) if column.kind is kind)


PIPELINES = TableSpec(
    "pipelines",
    (
        ColumnSpec("id", Kind.INTEGER, primary_key=True),
        ColumnSpec("name", Kind.STRING, NAME_LENGTH, unique=True),
        ColumnSpec("created_at", Kind.TIMESTAMP),
    ),
)

PIPELINE_RUNS = TableSpec(
    "pipeline_runs",
    (
        ColumnSpec("id", Kind.STRING, RUN_ID_LENGTH, primary_key=True),
        ColumnSpec("name", Kind.STRING, NAME_LENGTH, unique=True),
        ColumnSpec("pipeline_id", Kind.INTEGER, references="pipelines.id"),
        ColumnSpec("status", Kind.STRING, STATUS_LENGTH),
        ColumnSpec("started_at", Kind.TIMESTAMP),
        ColumnSpec("ended_at", Kind.TIMESTAMP, nullable=True),
        ColumnSpec("parameters", Kind.JSON),
        # The traced DAG as JSON (NULL for runs recorded before revision 0002).
        ColumnSpec("graph", Kind.JSON, nullable=True),
        # The driver's host name and process id, so a run whose process is gone reads as
        # interrupted (NULL for runs recorded before revision 0004).
        ColumnSpec("host", Kind.STRING, NAME_LENGTH, nullable=True),
        ColumnSpec("pid", Kind.INTEGER, nullable=True),
    ),
)

STEP_RUNS = TableSpec(
    "step_runs",
    (
        ColumnSpec("id", Kind.STRING, ID_LENGTH, primary_key=True),
        ColumnSpec("run_id", Kind.STRING, RUN_ID_LENGTH, references="pipeline_runs.id"),
        # The invocation name; explain's "previous run of this step", clearing one step's cache.
        ColumnSpec("name", Kind.STRING, NAME_LENGTH, index=True),
        # The ``@step`` definition's name (the column keeps the name of revision 0001).
        ColumnSpec("step_name", Kind.STRING, NAME_LENGTH, attribute="definition_name"),
        ColumnSpec("status", Kind.STRING, STATUS_LENGTH),
        ColumnSpec("position", Kind.INTEGER),
        ColumnSpec("started_at", Kind.TIMESTAMP),
        ColumnSpec("ended_at", Kind.TIMESTAMP, nullable=True),
        ColumnSpec("duration", Kind.DOUBLE, nullable=True),
        ColumnSpec("cache_key", Kind.STRING, HASH_LENGTH, nullable=True, index=True),
        # The key manifest (``KeyManifest.to_json``; the column keeps its first name).
        ColumnSpec("cache_components", Kind.JSON, attribute="manifest"),
        ColumnSpec("parameters", Kind.JSON),
        ColumnSpec("cached_from", Kind.STRING, ID_LENGTH, nullable=True),
        ColumnSpec("error", Kind.TEXT, nullable=True),
    ),
)

ARTIFACTS = TableSpec(
    "artifacts",
    (
        ColumnSpec("id", Kind.STRING, ID_LENGTH, primary_key=True),
        ColumnSpec("content_hash", Kind.STRING, HASH_LENGTH, index=True),
        ColumnSpec("uri", Kind.TEXT),
        ColumnSpec("data_type", Kind.STRING, NAME_LENGTH),
        ColumnSpec("materializer", Kind.STRING, NAME_LENGTH),
        ColumnSpec("materializer_version", Kind.STRING, VERSION_LENGTH),
        ColumnSpec("size", Kind.BIG_INTEGER),
        ColumnSpec("producer_step_run_id", Kind.STRING, ID_LENGTH, nullable=True, index=True),
        ColumnSpec("created_at", Kind.TIMESTAMP, index=True),
        ColumnSpec("summary", Kind.JSON),
    ),
)

STEP_RUN_ARTIFACTS = TableSpec(
    "step_run_artifacts",
    (
        ColumnSpec("step_run_id", Kind.STRING, ID_LENGTH, references="step_runs.id"),
        ColumnSpec("artifact_id", Kind.STRING, ID_LENGTH, references="artifacts.id"),
        ColumnSpec("direction", Kind.STRING, DIRECTION_LENGTH),
        ColumnSpec("name", Kind.STRING, NAME_LENGTH),
    ),
)

STEP_LOGS = TableSpec(
    "step_logs",
    (
        ColumnSpec(
            "step_run_id", Kind.STRING, ID_LENGTH, primary_key=True, references="step_runs.id"
        ),
        ColumnSpec("text", Kind.TEXT),
    ),
)

CACHE_ENTRIES = TableSpec(
    "cache_entries",
    (
        ColumnSpec("cache_key", Kind.STRING, HASH_LENGTH, primary_key=True),
        ColumnSpec("step_run_id", Kind.STRING, ID_LENGTH, references="step_runs.id"),
        ColumnSpec("pipeline_name", Kind.STRING, NAME_LENGTH),
        # The ``@step`` definition name of the producing step run (written, not read: entries
        # are listed by the producer's invocation name, ``step_runs.name``).
        ColumnSpec("step_name", Kind.STRING, NAME_LENGTH),
        ColumnSpec("created_at", Kind.TIMESTAMP, index=True),
    ),
)

RUN_METADATA = TableSpec(
    "run_metadata",
    (
        # pipeline_run, step_run or artifact_version (see records.MetadataResource); no foreign
        # key, as one column points into three tables: deleting a run deletes its rows.
        ColumnSpec("resource_type", Kind.STRING, STATUS_LENGTH),
        ColumnSpec("resource_id", Kind.STRING, ID_LENGTH),
        ColumnSpec("name", Kind.STRING, NAME_LENGTH),
        # {"value": ...} or, for the typed values, {"type": "Uri", "value": ...}.
        ColumnSpec("value", Kind.JSON),
    ),
)

ARTIFACT_TAGS = TableSpec(
    "artifact_tags",
    (
        ColumnSpec("artifact_id", Kind.STRING, ID_LENGTH, references="artifacts.id"),
        ColumnSpec("tag", Kind.STRING, NAME_LENGTH, index=True),
    ),
)

ARTIFACT_VERSIONS = TableSpec(
    "artifact_versions",
    (
        # One version per artifact record: the artifact's id is the version's id.
        ColumnSpec(
            "artifact_id", Kind.STRING, ID_LENGTH, primary_key=True, references="artifacts.id"
        ),
        # (name, version) is unique (see tables.py), which also indexes lookups by name.
        ColumnSpec("name", Kind.STRING, NAME_LENGTH),
        ColumnSpec("version", Kind.STRING, VERSION_LENGTH),
        # The version as a whole number, when it is one: auto-increment takes the highest + 1.
        ColumnSpec("number", Kind.INTEGER, nullable=True),
        ColumnSpec("artifact_type", Kind.STRING, ARTIFACT_TYPE_LENGTH),
        # 0 for the default ``<pipeline>::<step>::<output>`` names, 1 for names given.
        ColumnSpec("has_custom_name", Kind.INTEGER),
        ColumnSpec("created_at", Kind.TIMESTAMP),
    ),
)

STEP_LEASES = TableSpec(
    "step_leases",
    (
        # One row per cache key being executed: who holds it (see records.LeaseRecord).
        ColumnSpec("cache_key", Kind.STRING, HASH_LENGTH, primary_key=True),
        ColumnSpec("owner", Kind.STRING, ID_LENGTH),
        ColumnSpec("epoch", Kind.BIG_INTEGER),
        # No foreign keys: a lease outlives nothing, and the holder's run may not be visible
        # to a waiter's transaction yet.
        ColumnSpec("run_id", Kind.STRING, RUN_ID_LENGTH),
        ColumnSpec("run_name", Kind.STRING, NAME_LENGTH),
        ColumnSpec("step_name", Kind.STRING, NAME_LENGTH),
        ColumnSpec("pid", Kind.INTEGER),
        ColumnSpec("host", Kind.STRING, NAME_LENGTH),
        # Seconds since the epoch on the database server's clock, never a client's.
        ColumnSpec("acquired_at", Kind.DOUBLE),
        ColumnSpec("expires_at", Kind.DOUBLE),
    ),
)

STEP_WAITS = TableSpec(
    "step_waits",
    (
        # A step of a running run waiting on the lease of cache_key (shown as ``waiting``).
        ColumnSpec("run_id", Kind.STRING, RUN_ID_LENGTH),
        ColumnSpec("step_name", Kind.STRING, NAME_LENGTH),
        ColumnSpec("cache_key", Kind.STRING, HASH_LENGTH),
        ColumnSpec("since", Kind.TIMESTAMP),
    ),
)

MODELS = TableSpec(
    "models",
    (
        ColumnSpec("id", Kind.STRING, ID_LENGTH, primary_key=True),
        ColumnSpec("name", Kind.STRING, NAME_LENGTH, unique=True),
        # description, license, tags and the other model card fields.
        ColumnSpec("details", Kind.JSON),
        ColumnSpec("created_at", Kind.TIMESTAMP),
    ),
)

MODEL_VERSIONS = TableSpec(
    "model_versions",
    (
        ColumnSpec("id", Kind.STRING, ID_LENGTH, primary_key=True),
        # (model_id, name) and (model_id, number) are unique (see tables.py).
        ColumnSpec("model_id", Kind.STRING, ID_LENGTH, references="models.id"),
        ColumnSpec("name", Kind.STRING, VERSION_LENGTH),
        ColumnSpec("number", Kind.INTEGER),
        ColumnSpec("stage", Kind.STRING, STATUS_LENGTH, nullable=True),
        # The run that created it; not a foreign key (a version outlives its run).
        ColumnSpec("run_id", Kind.STRING, RUN_ID_LENGTH, nullable=True),
        ColumnSpec("created_at", Kind.TIMESTAMP),
    ),
)

MODEL_VERSION_ARTIFACTS = TableSpec(
    "model_version_artifacts",
    (
        ColumnSpec("model_version_id", Kind.STRING, ID_LENGTH, references="model_versions.id"),
        ColumnSpec("artifact_id", Kind.STRING, ID_LENGTH, references="artifacts.id", index=True),
        ColumnSpec("name", Kind.STRING, NAME_LENGTH),
        # "model" or "data".
        ColumnSpec("kind", Kind.STRING, DIRECTION_LENGTH),
    ),
)

#: Every table, parents before children (the order ``create_all`` and the migrations use).
TABLES = (
    PIPELINES,
    PIPELINE_RUNS,
    STEP_RUNS,
    ARTIFACTS,
    STEP_RUN_ARTIFACTS,
    STEP_LOGS,
    CACHE_ENTRIES,
    RUN_METADATA,
    ARTIFACT_TAGS,
    ARTIFACT_VERSIONS,
    STEP_LEASES,
    STEP_WAITS,
    MODELS,
    MODEL_VERSIONS,
    MODEL_VERSION_ARTIFACTS,
)
