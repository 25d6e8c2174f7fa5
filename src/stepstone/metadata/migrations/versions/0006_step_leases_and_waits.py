"""Leases on cache keys being executed, and the steps waiting on them.

* ``step_leases``: one row per cache key a run is executing: the holder (owner token, run,
  step, pid, host), an epoch raised on every grant, and when it was acquired and expires, in
  seconds on the database server's clock. Another run about to execute the same key waits
  instead; a holder that stops renewing loses the row to the next one.
* ``step_waits``: the steps of running runs that wait on such a lease (their ``waiting``
  state in ``stepstone runs show`` and the dashboard).

Both tables are new, so upgrading touches no existing row. MySQL and MariaDB get the binary
collation every table has since revision 0002.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "step_leases",
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("run_name", sa.String(255), nullable=False),
        sa.Column("step_name", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("acquired_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("cache_key", name="pk_step_leases"),
        **MYSQL_TABLE,
    )
    timestamp = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    op.create_table(
        "step_waits",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("step_name", sa.String(255), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("since", timestamp, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "step_name", name="pk_step_waits"),
        **MYSQL_TABLE,
    )


def downgrade() -> None:
    op.drop_table("step_waits")
    op.drop_table("step_leases")
