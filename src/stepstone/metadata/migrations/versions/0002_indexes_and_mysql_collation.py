"""Runs record their graph; indexes for the newest-first pages; case-sensitive text on MySQL.

* ``pipeline_runs.graph``: the traced DAG, JSON, recorded when a run starts so a run in progress
  can be drawn whole (NULL for older runs).

* ``pipeline_runs (started_at, id)`` and ``(pipeline_id, started_at, id)`` replace the indexes
  without ``id``: pages are ordered by ``started_at DESC, id DESC``, and with the id in the index
  the newest page is read straight off it instead of sorting ties.
* ``artifacts (created_at)`` and ``cache_entries (created_at)``: the artifact and cache listings,
  newest first, read a page without sorting the whole table.
* ``step_runs (name)``: explain's "previous run of this step" and clearing the cache of one step.
* MySQL and MariaDB compare text case- and accent-insensitively by default (``utf8mb4_general_ci``),
  so the pipelines ``Train`` and ``train`` would be one and run names would clash by case. Every
  table is converted to ``utf8mb4_bin``: text compares byte for byte, as on SQLite and PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "pipelines",
    "pipeline_runs",
    "step_runs",
    "artifacts",
    "step_run_artifacts",
    "step_logs",
    "cache_entries",
)


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    if _is_mysql():
        _convert_mysql_tables("utf8mb4_bin")
    long_text = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
    op.add_column("pipeline_runs", sa.Column("graph", long_text, nullable=True))
    # The new indexes first: MySQL will not drop an index a foreign key still needs.
    op.create_index("ix_pipeline_runs_started_at_id", "pipeline_runs", ["started_at", "id"])
    op.create_index(
        "ix_pipeline_runs_pipeline_id_started_at_id",
        "pipeline_runs",
        ["pipeline_id", "started_at", "id"],
    )
    op.drop_index("ix_pipeline_runs_pipeline_id_started_at", table_name="pipeline_runs")
    op.drop_index("ix_pipeline_runs_started_at", table_name="pipeline_runs")
    op.create_index("ix_artifacts_created_at", "artifacts", ["created_at"])
    op.create_index("ix_cache_entries_created_at", "cache_entries", ["created_at"])
    op.create_index("ix_step_runs_name", "step_runs", ["name"])


def downgrade() -> None:
    op.drop_index("ix_step_runs_name", table_name="step_runs")
    op.drop_index("ix_cache_entries_created_at", table_name="cache_entries")
    op.drop_index("ix_artifacts_created_at", table_name="artifacts")
    op.create_index("ix_pipeline_runs_started_at", "pipeline_runs", ["started_at"])
    op.create_index(
        "ix_pipeline_runs_pipeline_id_started_at", "pipeline_runs", ["pipeline_id", "started_at"]
    )
    op.drop_index("ix_pipeline_runs_pipeline_id_started_at_id", table_name="pipeline_runs")
    op.drop_index("ix_pipeline_runs_started_at_id", table_name="pipeline_runs")
    with op.batch_alter_table("pipeline_runs") as batch:
        batch.drop_column("graph")
    if _is_mysql():
        _convert_mysql_tables("utf8mb4_general_ci")


#: The foreign keys between text columns: (name, table, column, referred table).
TEXT_FOREIGN_KEYS = (
    ("fk_step_runs_run_id_pipeline_runs", "step_runs", "run_id", "pipeline_runs"),
    (
        "fk_step_run_artifacts_step_run_id_step_runs",
        "step_run_artifacts",
        "step_run_id",
        "step_runs",
    ),
    (
        "fk_step_run_artifacts_artifact_id_artifacts",
        "step_run_artifacts",
        "artifact_id",
        "artifacts",
    ),
    ("fk_step_logs_step_run_id_step_runs", "step_logs", "step_run_id", "step_runs"),
    ("fk_cache_entries_step_run_id_step_runs", "cache_entries", "step_run_id", "step_runs"),
)


def _convert_mysql_tables(collation: str) -> None:
    # MariaDB refuses to change the collation of a column in a foreign key even with
    # FOREIGN_KEY_CHECKS off, so the text foreign keys are dropped and made again around it.
    for name, table, _column, _referred in TEXT_FOREIGN_KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}")
    for name, table, column, referred in TEXT_FOREIGN_KEYS:
        op.create_foreign_key(name, table, referred, [column], ["id"])
