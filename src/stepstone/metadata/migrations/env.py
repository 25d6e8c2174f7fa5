"""Alembic environment: migrate the connection the store hands over in ``config.attributes``.

The store opens the connection, takes the migration lock and begins the transaction; this file
only configures Alembic on it, so the whole upgrade happens inside the caller's lock.
"""

from __future__ import annotations

from alembic import context

from stepstone.metadata.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "stepstone's migrations run on a connection passed in config.attributes['connection'] "
        "(see stepstone.metadata.sql.schema.script_config); offline mode is not supported."
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: later revisions use batch operations (copy and move).
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
