"""Initial metadata schema: pipelines, runs, step runs, artifacts, lineage, logs, cache.

Written out in full rather than imported from ``tables.py``: a released revision must keep
creating the schema *as it was*, whatever the tables module looks like later.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, nullable: bool = False) -> sa.Column[datetime]:
    """A UTC timestamp: ``timestamptz`` on PostgreSQL, with microseconds on MySQL."""
    kind = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    return sa.Column(name, kind, nullable=nullable)


def long_text() -> sa.types.TypeEngine[str]:
    """Text of any length (MySQL's TEXT stops at 64 KiB)."""
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_pipelines"),
        sa.UniqueConstraint("name", name="uq_pipelines_name"),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.Column("parameters", long_text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipelines.id"], name="fk_pipeline_runs_pipeline_id_pipelines"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline_runs"),
        sa.UniqueConstraint("name", name="uq_pipeline_runs_name"),
    )
    op.create_index("ix_pipeline_runs_started_at", "pipeline_runs", ["started_at"])
    op.create_index(
        "ix_pipeline_runs_pipeline_id_started_at", "pipeline_runs", ["pipeline_id", "started_at"]
    )
    op.create_table(
        "step_runs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("step_name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("cache_key", sa.String(64), nullable=True),
        sa.Column("cache_components", long_text(), nullable=False),
        sa.Column("parameters", long_text(), nullable=False),
        sa.Column("cached_from", sa.String(64), nullable=True),
        sa.Column("error", long_text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_runs.id"], name="fk_step_runs_run_id_pipeline_runs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_step_runs"),
    )
    op.create_index("ix_step_runs_cache_key", "step_runs", ["cache_key"])
    op.create_index(
        "ix_step_runs_run_id_position_status", "step_runs", ["run_id", "position", "status"]
    )
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("uri", long_text(), nullable=False),
        sa.Column("data_type", sa.String(255), nullable=False),
        sa.Column("materializer", sa.String(255), nullable=False),
        sa.Column("materializer_version", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("producer_step_run_id", sa.String(64), nullable=True),
        timestamp("created_at"),
        sa.Column("summary", long_text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
    )
    op.create_index("ix_artifacts_content_hash", "artifacts", ["content_hash"])
    op.create_index("ix_artifacts_producer_step_run_id", "artifacts", ["producer_step_run_id"])
    op.create_table(
        "step_run_artifacts",
        sa.Column("step_run_id", sa.String(64), nullable=False),
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_run_id"], ["step_runs.id"], name="fk_step_run_artifacts_step_run_id_step_runs"
        ),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifacts.id"], name="fk_step_run_artifacts_artifact_id_artifacts"
        ),
        sa.PrimaryKeyConstraint("step_run_id", "direction", "name", name="pk_step_run_artifacts"),
    )
    op.create_index("ix_step_run_artifacts_artifact_id", "step_run_artifacts", ["artifact_id"])
    op.create_table(
        "step_logs",
        sa.Column("step_run_id", sa.String(64), nullable=False),
        sa.Column("text", long_text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_run_id"], ["step_runs.id"], name="fk_step_logs_step_run_id_step_runs"
        ),
        sa.PrimaryKeyConstraint("step_run_id", name="pk_step_logs"),
    )
    op.create_table(
        "cache_entries",
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("step_run_id", sa.String(64), nullable=False),
        sa.Column("pipeline_name", sa.String(255), nullable=False),
        sa.Column("step_name", sa.String(255), nullable=False),
        timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["step_run_id"], ["step_runs.id"], name="fk_cache_entries_step_run_id_step_runs"
        ),
        sa.PrimaryKeyConstraint("cache_key", name="pk_cache_entries"),
    )
    op.create_index("ix_cache_entries_step_run_id", "cache_entries", ["step_run_id"])


def downgrade() -> None:
    for table in (
        "cache_entries",
        "step_logs",
        "step_run_artifacts",
        "artifacts",
        "step_runs",
        "pipeline_runs",
        "pipelines",
    ):
        op.drop_table(table)
