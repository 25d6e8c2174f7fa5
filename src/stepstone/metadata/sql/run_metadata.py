"""Logged metadata and artifact tags: rows of ``run_metadata`` and ``artifact_tags``.

Written on the driver connection (the run driver records a step's metadata in the same
transaction as the step run) and read with hand-written SQL, so reading a run's metadata costs
no SQLAlchemy import on SQLite. A key logged again replaces its value: the row is deleted and
inserted in one transaction, which every backend does the same way (no dialect upserts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepstone.metadata.records import ArtifactTag, MetadataEntry, MetadataResource
from stepstone.metadata.sql.codec import decode_json, encode_json
from stepstone.metadata.sql.columns import ARTIFACT_TAGS, RUN_METADATA
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.flavor import Flavor
from stepstone.metadata.sql.statements import chunks, in_list, insert
from stepstone.metadata.values import decode_value, encode_value

_DELETE_KEY = "DELETE FROM run_metadata WHERE resource_type = ? AND resource_id = ? AND name = ?"


class AnnotationStatements:
    """The statements of one store, in its flavor's parameter style."""

    def __init__(self, flavor: Flavor) -> None:
        self.flavor = flavor
        self.delete_key = flavor.sql(_DELETE_KEY)
        self.insert_metadata = flavor.sql(insert(RUN_METADATA))
        self.insert_tag = flavor.insert_if_absent(ARTIFACT_TAGS.name, ARTIFACT_TAGS.names)

    def write(
        self, cursor: Any, metadata: Sequence[MetadataEntry], tags: Sequence[ArtifactTag]
    ) -> None:
        """Write ``metadata`` (the last value of a key wins) and ``tags`` with ``cursor``."""
        latest: dict[tuple[str, str, str], Any] = {}
        for entry in metadata:
            latest[(entry.resource_type.value, entry.resource_id, entry.name)] = entry.value
        if latest:
            keys = sorted(latest)  # key order: concurrent writers lock rows in the same order
            cursor.executemany(self.delete_key, keys)
            cursor.executemany(
                self.insert_metadata,
                [(*key, encode_json(encode_value(latest[key]))) for key in keys],
            )
        if tags:
            rows = sorted({(tag.artifact_id, tag.tag) for tag in tags})
            cursor.executemany(self.insert_tag, rows)


def read_metadata(
    hot: DriverConnection, resource_type: MetadataResource, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Resource id -> key -> value for the resources of ``resource_type`` in ``ids``."""
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(ids))
    for part in chunks(unique):
        statement = (
            "SELECT resource_id, name, value FROM run_metadata"  # noqa: S608
            f" WHERE resource_type = ? AND resource_id {in_list(len(part))} ORDER BY name"
        )
        rows = hot.query(
            f"read the metadata of {len(part)} {resource_type.value}(s)",
            hot.flavor.sql(statement),
            [resource_type.value, *part],
        )
        for resource_id, name, value in rows:
            found.setdefault(resource_id, {})[name] = decode_value(decode_json(value))
    return found


def read_tags(hot: DriverConnection, artifact_ids: Sequence[str]) -> dict[str, list[str]]:
    """Artifact id -> its tags, sorted."""
    found: dict[str, list[str]] = {}
    for part in chunks(sorted(set(artifact_ids))):
        statement = (
            "SELECT artifact_id, tag FROM artifact_tags"  # noqa: S608
            f" WHERE artifact_id {in_list(len(part))} ORDER BY tag"
        )
        for artifact_id, tag in hot.query("read artifact tags", hot.flavor.sql(statement), part):
            found.setdefault(artifact_id, []).append(tag)
    return found
