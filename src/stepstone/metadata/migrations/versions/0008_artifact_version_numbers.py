"""An index on ``artifact_versions (name, number)``: numbering a version stays one index probe.

Every executed step numbers its outputs' versions after their name's highest number. Without
this index that read went through the ``(name, version)`` key and fetched every version of the
name, so a step of a pipeline run 10,000 times paid ~1.6 ms per output for it (and more with
every run); with it, the highest number is the last entry of the name's range.

Only an index is added: no row changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_artifact_versions_name_number", "artifact_versions", ["name", "number"])


def downgrade() -> None:
    op.drop_index("ix_artifact_versions_name_number", table_name="artifact_versions")
