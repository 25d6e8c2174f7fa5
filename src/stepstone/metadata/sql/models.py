"""Models, their versions and the artifacts linked to them, as driver SQL.

A run that works on a model finds or creates its version when it starts
(:meth:`ModelStatements.version_for_run`, one transaction). A new version takes the model's
highest number plus one, read in that transaction: SQLite's ``BEGIN IMMEDIATE`` and, on
PostgreSQL, the advisory lock of artifact versions make that exclusive; on MySQL a clash of
``(model_id, number)`` is written again by the store (``is_version_clash`` names the table).

A version is asked for by ``ref``: ``None`` (a new one), a stage, ``latest``, a number, or a
name. :func:`classify` says which; reading and creating share it, so ``Client().get_model_version``
and a run's ``Model(version=...)`` find the same version.

Stages: ``staging`` and ``production`` are held by at most one version of a model at a time;
promoting another one over it needs ``force``, which archives the one that held it (ZenML's
rule). ``archived`` may be held by many. ``latest`` is not a stage: it names the newest version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from stepstone.exceptions import ModelStageError, ModelVersionNotFoundError
from stepstone.metadata.records import (
    ArtifactRecord,
    ModelArtifactLink,
    ModelRecord,
    ModelVersionRecord,
    ModelVersionRequest,
)
from stepstone.metadata.sql.artifact_versions import POSTGRES_NUMBERING_LOCK
from stepstone.metadata.sql.codec import RowCodec, artifact_from_row, decode_json, encode_json
from stepstone.metadata.sql.columns import ARTIFACTS, MODEL_VERSION_ARTIFACTS, MODELS
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.flavor import Flavor
from stepstone.metadata.sql.statements import select_columns

MODEL_CODEC = RowCodec(MODELS)

#: Stages a version is put in; ``latest`` names the newest version instead.
STAGES = ("staging", "production", "archived")
#: Stages one version of a model holds at a time.
EXCLUSIVE_STAGES = ("staging", "production")
LATEST = "latest"

_VERSION_COLUMNS = "v.id, v.model_id, m.name, v.name, v.number, v.stage, v.created_at, v.run_id"
_SELECT_VERSIONS = (
    f"SELECT {_VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id"  # noqa: S608
)


def classify(ref: str | None) -> tuple[str, Any]:
    """What a version reference asks for: ``("new", None)``, ``("stage", "production")``,
    ``("latest", None)``, ``("number", 3)`` or ``("name", "1.0.5")``."""
    if ref is None:
        return "new", None
    lowered = ref.lower()
    if lowered in STAGES:
        return "stage", lowered
    if lowered == LATEST:
        return "latest", None
    if ref.isascii() and ref.isdigit():
        return "number", int(ref)
    return "name", ref


def _version(row: Sequence[Any], dt_out: Any) -> ModelVersionRecord:
    id_, model_id, model_name, name, number, stage, created_at, run_id = row
    return ModelVersionRecord(
        id=id_,
        model_id=model_id,
        model_name=model_name,
        name=name,
        number=number,
        stage=stage,
        created_at=dt_out(created_at),
        run_id=run_id,
    )


class ModelStatements:
    """The statements of one store, in its flavor's parameter style."""

    def __init__(self, flavor: Flavor) -> None:
        self.flavor = flavor
        self.insert_model = flavor.insert_if_absent(MODELS.name, MODELS.names)
        self.insert_link = flavor.insert_if_absent(
            MODEL_VERSION_ARTIFACTS.name, MODEL_VERSION_ARTIFACTS.names
        )
        self.lock = (
            flavor.sql(f"SELECT pg_advisory_xact_lock({POSTGRES_NUMBERING_LOCK})")
            if flavor.name == "postgresql"
            else None
        )
        self.locking = " FOR UPDATE" if flavor.name in ("mysql", "mariadb") else ""

    def _one(self, cursor: Any, statement: str, params: Sequence[Any]) -> Any:
        cursor.execute(self.flavor.sql(statement), list(params))
        return cursor.fetchone()

    def version_for_run(
        self, cursor: Any, request: ModelVersionRequest, dt_in: Any, dt_out: Any
    ) -> ModelVersionRecord:
        """Find or create the model and the version ``request`` asks for (in a transaction)."""
        select = "SELECT id, details FROM models WHERE name = ?"
        found = self._one(cursor, select, [request.model_name])
        if found is None:
            record = ModelRecord(
                uuid.uuid4().hex, request.model_name, request.details, request.created_at
            )
            cursor.execute(self.insert_model, MODEL_CODEC.row(record, dt_in))
            # Another writer may have inserted it first: MySQL's plain read would still see
            # the transaction's first snapshot, a locking read sees the committed row.
            found = self._one(cursor, select + self.locking, [request.model_name])
        model_id, stored = found[0], decode_json(found[1])
        if request.details and {**stored, **request.details} != stored:
            cursor.execute(
                self.flavor.sql("UPDATE models SET details = ? WHERE id = ?"),
                [encode_json({**stored, **request.details}), model_id],
            )
        kind, value = classify(request.version)
        if kind != "new":
            row = self._find(cursor, model_id, kind, value)
            if row is not None:
                return _version(row, dt_out)
            if kind != "name":
                raise ModelVersionNotFoundError(
                    request.model_name, request.version, self._names(cursor, model_id)
                )
        if self.lock is not None:
            cursor.execute(self.lock)  # held until the transaction ends
        highest = self._one(
            cursor, "SELECT MAX(number) FROM model_versions WHERE model_id = ?", [model_id]
        )[0]
        number = (highest or 0) + 1
        version_id = uuid.uuid4().hex
        cursor.execute(
            self.flavor.sql(
                "INSERT INTO model_versions (id, model_id, name, number, stage, run_id, created_at)"
                " VALUES (?, ?, ?, ?, NULL, ?, ?)"
            ),
            [
                version_id,
                model_id,
                str(number) if value is None else value,
                number,
                request.run_id,
                dt_in(request.created_at),
            ],
        )
        return _version(self._find(cursor, model_id, "number", number), dt_out)

    def _find(self, cursor: Any, model_id: str, kind: str, value: Any) -> Any:
        where = {
            "stage": "v.stage = ?",
            "number": "v.number = ?",
            "name": "v.name = ?",
            "latest": "1 = 1",
        }[kind]
        params = [model_id] if kind == "latest" else [model_id, value]
        statement = (
            f"{_SELECT_VERSIONS} WHERE v.model_id = ? AND {where} ORDER BY v.number DESC LIMIT 1"
        )
        return self._one(cursor, statement, params)

    def _names(self, cursor: Any, model_id: str) -> list[str]:
        cursor.execute(
            self.flavor.sql(
                "SELECT name FROM model_versions WHERE model_id = ? ORDER BY number DESC"
            ),
            [model_id],
        )
        return [row[0] for row in cursor.fetchall()]

    def set_stage(self, cursor: Any, version: ModelVersionRecord, stage: str, force: bool) -> None:
        """Put ``version`` in ``stage``; an exclusive stage held by another version needs
        ``force``, which archives that version."""
        if stage in EXCLUSIVE_STAGES:
            holder = self._find(cursor, version.model_id, "stage", stage)
            if holder is not None and holder[0] != version.id:
                if not force:
                    raise ModelStageError(
                        f"Model '{version.model_name}': version '{holder[3]}' is in stage "
                        f"'{stage}' already. Pass force=True (stepstone models stage ... --force) "
                        f"to move version '{version.name}' there and archive version "
                        f"'{holder[3]}'."
                    )
                cursor.execute(
                    self.flavor.sql("UPDATE model_versions SET stage = ? WHERE id = ?"),
                    ["archived", holder[0]],
                )
        cursor.execute(
            self.flavor.sql("UPDATE model_versions SET stage = ? WHERE id = ?"),
            [stage, version.id],
        )

    def write_links(self, cursor: Any, links: Sequence[ModelArtifactLink]) -> None:
        rows = sorted(
            {(link.model_version_id, link.artifact_id, link.name, link.kind) for link in links}
        )
        cursor.executemany(self.insert_link, rows)


def get_model(hot: DriverConnection, name: str) -> ModelRecord | None:
    rows = hot.query(
        f"read model '{name}'",
        hot.flavor.sql(f"SELECT {select_columns(MODELS, 'm')} FROM models m WHERE m.name = ?"),  # noqa: S608
        [name],
    )
    return ModelRecord(**MODEL_CODEC.fields_of(rows[0], hot.dt_out)) if rows else None


def list_models(hot: DriverConnection) -> list[ModelRecord]:
    rows = hot.query(
        "list models",
        hot.flavor.sql(f"SELECT {select_columns(MODELS, 'm')} FROM models m ORDER BY m.name"),  # noqa: S608
        [],
    )
    return [ModelRecord(**MODEL_CODEC.fields_of(row, hot.dt_out)) for row in rows]


def list_versions(hot: DriverConnection, model_name: str) -> list[ModelVersionRecord]:
    """A model's versions, newest (highest number) first."""
    rows = hot.query(
        f"list the versions of model '{model_name}'",
        hot.flavor.sql(f"{_SELECT_VERSIONS} WHERE m.name = ? ORDER BY v.number DESC"),
        [model_name],
    )
    return [_version(row, hot.dt_out) for row in rows]


def get_version(hot: DriverConnection, model_name: str, ref: str) -> ModelVersionRecord | None:
    """The version ``ref`` (a stage, ``latest``, a number or a name) of a model, or None."""
    kind, value = classify(ref)
    where = {
        "stage": "v.stage = ?",
        "number": "v.number = ?",
        "name": "v.name = ?",
        "latest": "1 = 1",
    }[kind]
    params = [model_name] if kind == "latest" else [model_name, value]
    statement = f"{_SELECT_VERSIONS} WHERE m.name = ? AND {where} ORDER BY v.number DESC LIMIT 1"
    rows = hot.query(
        f"read version {ref} of model '{model_name}'", hot.flavor.sql(statement), params
    )
    return _version(rows[0], hot.dt_out) if rows else None


def version_artifacts(
    hot: DriverConnection, version_id: str
) -> list[tuple[ModelArtifactLink, ArtifactRecord]]:
    """The artifacts linked to a version, by name, with their records."""
    statement = (
        f"SELECT l.name, l.kind, {select_columns(ARTIFACTS, 'a')} FROM model_version_artifacts l"  # noqa: S608
        " JOIN artifacts a ON a.id = l.artifact_id WHERE l.model_version_id = ?"
        " ORDER BY l.name, a.created_at"
    )
    found = []
    for row in hot.query(
        "read a model version's artifacts", hot.flavor.sql(statement), [version_id]
    ):
        artifact = artifact_from_row(row[2:], hot.dt_out)
        found.append((ModelArtifactLink(version_id, artifact.id, row[0], row[1]), artifact))
    return found
