"""Alembic migrations of the metadata schema, run by the store itself (no ``alembic.ini``).

To add a revision, autogenerate it against a database at the current head::

    from alembic import command
    from sqlalchemy import create_engine
    from stepstone.metadata.sql.schema import script_config

    with create_engine("sqlite:////tmp/scratch.db").begin() as connection:
        command.revision(script_config(connection), "what changed", autogenerate=True,
                         rev_id="0002")

then review it, and set ``SCHEMA_REVISION`` in ``stepstone/metadata/sql/revision.py`` to it.
"""
