"""Runs record the process that drives them.

* ``pipeline_runs.host`` and ``pipeline_runs.pid``: the host name and process id of the driver,
  written when the run starts. A run left ``running`` by a process that was killed (``kill -9``,
  a lost container) is then told apart from one still going: on the same host, its process is
  gone, and readers show it ``interrupted`` (the stored status is not rewritten, so a read-only
  home reads the same). Both are NULL for runs recorded before this revision.

Only columns are added, so upgrading rewrites no row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pipeline_runs", sa.Column("host", sa.String(255), nullable=True))
    op.add_column("pipeline_runs", sa.Column("pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("pipeline_runs", "pid")
    op.drop_column("pipeline_runs", "host")
