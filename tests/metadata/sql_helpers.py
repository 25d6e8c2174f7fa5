"""Raw SQL on a test database, beside the store (for the implementation tests)."""

from __future__ import annotations

from pathlib import Path


def execute(url: str, statement: str) -> list[tuple[object, ...]]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.exec_driver_sql(statement)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def migrate_with_alembic(url: str, revision: str = "head") -> None:
    """Bring an empty database to ``revision`` by replaying the Alembic revisions."""
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from stepstone.metadata.sql.schema import script_config

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.upgrade(script_config(connection), revision)
    finally:
        engine.dispose()


def reflected_schema(url: str) -> dict[str, dict[str, object]]:
    """Every table as the database describes it: columns with types, keys, indexes, options.

    Names are compared too (constraint and index names are what later migrations refer to).
    """
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        inspector = inspect(engine)
        schema: dict[str, dict[str, object]] = {}
        for table in sorted(inspector.get_table_names()):
            columns = [
                (c["name"], repr(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ]
            foreign_keys = sorted(
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            )
            indexes = sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
            )
            uniques = sorted(
                (uq["name"], tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            )
            options = {
                name: value
                for name, value in inspector.get_table_options(table).items()
                if "collate" in name or "charset" in name or "engine" in name
            }
            schema[table] = {
                "columns": columns,
                "primary_key": inspector.get_pk_constraint(table),
                "foreign_keys": foreign_keys,
                "indexes": indexes,
                "unique": uniques,
                "options": options,
            }
        return schema
    finally:
        engine.dispose()


def drop_everything(url: str) -> None:
    """Drop every table of the database (children first), leaving it empty."""
    from sqlalchemy import MetaData, create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        found = MetaData()
        found.reflect(engine)
        found.drop_all(engine)
    finally:
        engine.dispose()
