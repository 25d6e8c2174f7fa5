"""The SQLAlchemy implementation of the metadata store (SQLite, PostgreSQL, MySQL).

Importing this package imports SQLAlchemy; :func:`stepstone.metadata.open_metadata_store` does so
only when a store is opened, which keeps ``import stepstone`` fast.
"""

from __future__ import annotations

from stepstone.metadata.sql.schema import SCHEMA_REVISION, head_revision
from stepstone.metadata.sql.store import SqlMetadataStore

__all__ = ["SCHEMA_REVISION", "SqlMetadataStore", "head_revision"]
