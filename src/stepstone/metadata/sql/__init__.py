"""The SQLAlchemy implementation of the metadata store (SQLite, PostgreSQL, MySQL).

Importing this package does not import SQLAlchemy: opening an existing, up-to-date SQLite store
never does (see :mod:`.sqlite_direct`), and the other paths import it when they need it.
"""

from __future__ import annotations

from stepstone.metadata.sql.revision import SCHEMA_REVISION
from stepstone.metadata.sql.store import SqlMetadataStore


def head_revision() -> str:
    """The head revision of the packaged migrations (what :data:`SCHEMA_REVISION` must equal)."""
    from stepstone.metadata.sql.schema import head_revision as head

    return head()


__all__ = ["SCHEMA_REVISION", "SqlMetadataStore", "head_revision"]
