"""Artifact versions: rows of ``artifact_versions``, written and read as driver SQL.

Written on the driver connection inside the transaction that records the step runs (or the
saved values) they belong to. A version left to the store (``version=None``) gets the name's
highest number plus one, read in that same transaction. SQLite's ``BEGIN IMMEDIATE`` makes that
exclusive, and so does a transaction-scoped advisory lock on PostgreSQL. On MySQL two concurrent
writers may read the same highest number; the second insert then violates ``(name, version)``'s
unique key, and the store writes the whole transaction again (:func:`is_version_clash`).

Reads join the artifact row, so a version comes back with what ``load()`` needs in one query.
"Latest" is the most recently created version of a name (ties: the higher number), as in ZenML.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from stepstone.metadata.records import ArtifactVersionRecord, NewArtifactVersion
from stepstone.metadata.sql.codec import RowCodec, artifact_from_row
from stepstone.metadata.sql.columns import ARTIFACT_VERSIONS, ARTIFACTS
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.runs import NO_LIMIT
from stepstone.metadata.sql.statements import chunks, in_list, insert, select_columns

VERSION_CODEC = RowCodec(ARTIFACT_VERSIONS)

_SELECT = (
    f"SELECT {select_columns(ARTIFACT_VERSIONS, 'v')}, {select_columns(ARTIFACTS, 'a')}"  # noqa: S608
    " FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id"
)
_NEWEST_FIRST = " ORDER BY v.created_at DESC, v.number DESC, v.artifact_id DESC"
_WIDTH = len(ARTIFACT_VERSIONS.names)

#: Key of the PostgreSQL advisory lock that serialises numbering artifact versions.
POSTGRES_NUMBERING_LOCK = 0x5354_4550_5645_5253


class _Row(NamedTuple):
    """A version's column values, in the attribute names the codec reads."""

    artifact_id: str
    name: str
    version: str
    number: int | None
    artifact_type: str
    has_custom_name: int
    created_at: datetime


def version_number(version: str) -> int | None:
    """The version as a whole number (``"3"`` -> 3), or None for text such as ``"v1.0"``."""
    return int(version) if version.isascii() and version.isdigit() else None


def is_version_clash(exc: BaseException) -> bool:
    """Whether a failed write broke a unique key of ``artifact_versions`` (name, version) or
    ``model_versions`` (model, name or number).

    Every backend names the table or the constraint (``uq_artifact_versions_name_version``) in
    its message: SQLite ``UNIQUE constraint failed: artifact_versions.name, ...``, PostgreSQL
    ``duplicate key value violates unique constraint "uq_artifact_versions_..."``, MySQL
    ``Duplicate entry ... for key '...uq_artifact_versions_name_version'``.
    """
    text = str(exc)
    return "artifact_versions" in text or "model_versions" in text


class VersionStatements:
    """The statements of one store, in its flavor's parameter style."""

    def __init__(self, hot: DriverConnection) -> None:
        flavor = hot.flavor
        self.hot = hot
        self.insert_version = flavor.sql(insert(ARTIFACT_VERSIONS))
        self.lock = (
            flavor.sql(f"SELECT pg_advisory_xact_lock({POSTGRES_NUMBERING_LOCK})")
            if flavor.name == "postgresql"
            else None
        )

    def _highest(self, count: int) -> str:
        """The statement reading the highest number of ``count`` names (it runs in every
        executed step's write, so the connection keeps it).

        One ``MAX`` per name, each a single probe of the ``(name, number)`` index: a ``MAX``
        grouped over an ``IN`` list reads every version of the names instead, which grows
        with every run of the pipeline.
        """
        one = "(SELECT MAX(number) FROM artifact_versions WHERE name = ?)"
        return self.hot.sql_for(
            "highest version numbers", count, lambda n: "SELECT " + ", ".join([one] * n)
        )

    def write(self, cursor: Any, versions: Sequence[NewArtifactVersion], dt_in: Any) -> None:
        """Insert ``versions``, numbering those without a version after their name's highest."""
        automatic = sorted({v.name for v in versions if v.version is None})
        highest: dict[str, int] = {}
        if automatic and self.lock is not None:
            cursor.execute(self.lock)  # held until the transaction ends
        for part in chunks(automatic):
            cursor.execute(self._highest(len(part)), part)
            (numbers,) = cursor.fetchall()
            highest.update((name, number or 0) for name, number in zip(part, numbers, strict=True))
        rows = []
        for new in versions:
            number: int | None
            if new.version is None:
                number = highest.get(new.name, 0) + 1
                highest[new.name] = number
                version = str(number)
            else:
                version, number = new.version, version_number(new.version)
                if number is not None:
                    highest[new.name] = max(highest.get(new.name, 0), number)
            row = _Row(
                new.artifact_id,
                new.name,
                version,
                number,
                new.artifact_type,
                int(new.has_custom_name),
                new.created_at,
            )
            rows.append(VERSION_CODEC.row(row, dt_in))
        if rows:
            cursor.executemany(self.insert_version, rows)


def _records(
    hot: DriverConnection, action: str, statement: str, params: Sequence[Any]
) -> list[ArtifactVersionRecord]:
    found = []
    for row in hot.query(action, hot.flavor.sql(statement), params):
        fields = VERSION_CODEC.fields_of(row[:_WIDTH], hot.dt_out)
        artifact = artifact_from_row(row[_WIDTH:], hot.dt_out)
        found.append(ArtifactVersionRecord(**fields, artifact=artifact))
    return found


def get_version(
    hot: DriverConnection, name: str, version: str | None
) -> ArtifactVersionRecord | None:
    """The version ``version`` of ``name`` (the latest for None) with its artifact, or None."""
    if version is None:
        statement = f"{_SELECT} WHERE v.name = ?{_NEWEST_FIRST} LIMIT 1"
        found = _records(hot, f"read the latest version of artifact '{name}'", statement, [name])
    else:
        statement = f"{_SELECT} WHERE v.name = ? AND v.version = ?"
        found = _records(
            hot, f"read version {version} of artifact '{name}'", statement, [name, version]
        )
    return found[0] if found else None


def list_versions(
    hot: DriverConnection, name: str | None, limit: int | None, offset: int
) -> list[ArtifactVersionRecord]:
    """Versions newest first, of one name or of all, with their artifacts."""
    params: list[Any] = [] if name is None else [name]
    where = "" if name is None else " WHERE v.name = ?"
    statement = f"{_SELECT}{where}{_NEWEST_FIRST} LIMIT ? OFFSET ?"
    params += [NO_LIMIT if limit is None else limit, offset]
    return _records(hot, "list artifact versions", statement, params)


def versions_of(
    hot: DriverConnection, artifact_ids: Sequence[str]
) -> dict[str, ArtifactVersionRecord]:
    """Artifact id -> its version, for the artifacts in ``artifact_ids`` that have one."""
    found: dict[str, ArtifactVersionRecord] = {}
    for part in chunks(sorted(set(artifact_ids))):
        statement = f"{_SELECT} WHERE v.artifact_id {in_list(len(part))}"
        for record in _records(hot, "read artifact versions", statement, part):
            found[record.artifact_id] = record
    return found


def version_names(hot: DriverConnection, limit: int) -> list[str]:
    """Distinct artifact names, most recently versioned first (for "did you mean")."""
    statement = hot.flavor.sql(
        "SELECT name FROM artifact_versions GROUP BY name ORDER BY MAX(created_at) DESC LIMIT ?"
    )
    return [row[0] for row in hot.query("list artifact names", statement, [limit])]
