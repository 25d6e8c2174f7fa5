"""Models: ZenML's model control plane.

* ``models``: a model's name (unique) and its details (description, license, tags, ...) as JSON.
* ``model_versions``: the versions of a model, each named (unique per model) and numbered
  (unique per model), with a stage (NULL until promoted) and the run that created it.
* ``model_version_artifacts``: artifacts linked to a version under their artifact name, as a
  ``model`` or a ``data`` artifact; indexed by artifact, so deleting an artifact finds its links.

Metadata logged on a model version goes to ``run_metadata`` (resource type ``model_version``),
which needs no change. The tables are new, so upgrading touches no existing row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    timestamp = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    long_text = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
    op.create_table(
        "models",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("details", long_text, nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_models"),
        sa.UniqueConstraint("name", name="uq_models_name"),
        **MYSQL_TABLE,
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("created_at", timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name="fk_model_versions_model_id_models"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("model_id", "name", name="uq_model_versions_model_id_name"),
        sa.UniqueConstraint("model_id", "number", name="uq_model_versions_model_id_number"),
        **MYSQL_TABLE,
    )
    op.create_table(
        "model_version_artifacts",
        sa.Column("model_version_id", sa.String(64), nullable=False),
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name="fk_model_version_artifacts_model_version_id_model_versions",
        ),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name="fk_model_version_artifacts_artifact_id_artifacts",
        ),
        sa.PrimaryKeyConstraint(
            "model_version_id", "artifact_id", name="pk_model_version_artifacts"
        ),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_model_version_artifacts_artifact_id", "model_version_artifacts", ["artifact_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_model_version_artifacts_artifact_id", table_name="model_version_artifacts")
    op.drop_table("model_version_artifacts")
    op.drop_table("model_versions")
    op.drop_table("models")
