"""Artifact versions: named, versioned artifacts.

* ``artifact_versions``: one row per artifact record that is a version of a named artifact
  (an executed step's output, a value saved with ``save_artifact``): its name, its version
  (text, unique per name), the version as a number when it is one (what auto-increment reads),
  its artifact type and whether the name was given or is the default
  ``<pipeline>::<step>::<output>``.

The table is new: artifacts recorded before this revision have no version (they read back
without one), so upgrading touches no existing row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    timestamp = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    op.create_table(
        "artifact_versions",
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("artifact_type", sa.String(32), nullable=False),
        sa.Column("has_custom_name", sa.Integer(), nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name="fk_artifact_versions_artifact_id_artifacts"
        ),
        sa.PrimaryKeyConstraint("artifact_id", name="pk_artifact_versions"),
        sa.UniqueConstraint("name", "version", name="uq_artifact_versions_name_version"),
        **MYSQL_TABLE,
    )


def downgrade() -> None:
    op.drop_table("artifact_versions")
