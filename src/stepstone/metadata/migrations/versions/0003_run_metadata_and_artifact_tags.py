"""Logged metadata and artifact tags.

* ``run_metadata``: key -> value logged on a run, a step run or an artifact version
  (``log_metadata``, ``add_output_metadata``), one row per resource and key. The value is JSON
  text; ``resource_id`` is not a foreign key because it points into three tables.
* ``artifact_tags``: tags on artifact versions (``add_output_tags``), indexed by tag.

Both tables are new, so upgrading touches no existing row. MySQL and MariaDB get the binary
collation every table has since revision 0002.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    long_text = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
    op.create_table(
        "run_metadata",
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", long_text, nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", "name", name="pk_run_metadata"),
        **MYSQL_TABLE,
    )
    op.create_table(
        "artifact_tags",
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name="fk_artifact_tags_artifact_id_artifacts"
        ),
        sa.PrimaryKeyConstraint("artifact_id", "tag", name="pk_artifact_tags"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_artifact_tags_tag", "artifact_tags", ["tag"])


def downgrade() -> None:
    op.drop_index("ix_artifact_tags_tag", table_name="artifact_tags")
    op.drop_table("artifact_tags")
    op.drop_table("run_metadata")
