"""The schema revision this code reads and writes, importable without SQLAlchemy or Alembic.

Opening an existing store compares the database's ``alembic_version`` with
:data:`SCHEMA_REVISION`; only a mismatch imports Alembic (see :mod:`.schema`).
"""

from __future__ import annotations

#: The Alembic revision this code reads and writes. Bump it with every new migration (a contract
#: test checks it equals the head of ``metadata/migrations/versions``), then write the SQLite DDL
#: of new stores again: ``PYTHONPATH=src python scripts/sqlite_schema``.
SCHEMA_REVISION = "0008"
