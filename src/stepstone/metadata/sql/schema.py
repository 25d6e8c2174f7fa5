"""Making sure a database holds the schema this code expects, cheaply and safely.

Opening a store happens on every run, often in several processes at once (parallel runs, a
dashboard, a CLI), so the check is split in two:

* **Fast path** — one query reads ``alembic_version`` and compares it with
  :data:`SCHEMA_REVISION`. When they agree (every open but the first after an upgrade) Alembic is
  not even imported.
* **Slow path** — take a lock that every opener respects (PostgreSQL ``pg_advisory_xact_lock``,
  MySQL ``GET_LOCK``, SQLite ``BEGIN IMMEDIATE``, which is the database's single write lock), read
  the revision again *inside* the lock (another process may have just migrated), and only then run
  ``alembic upgrade head`` on that same connection. Processes racing to create a fresh database
  therefore migrate it exactly once; the others wait and find it done.

A revision the code does not know means the database was migrated by a newer stepstone; writing
to it could corrupt it, so opening fails and tells the user to upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.sql.engine import BEGIN_OPTION, mask_url, wrapped
from stepstone.metadata.sql.revision import SCHEMA_REVISION

__all__ = ["SCHEMA_REVISION", "ensure_schema", "head_revision", "read_revisions"]


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

#: Key of the PostgreSQL advisory lock serialising migrations ("stepstone schema" in spirit).
POSTGRES_LOCK_KEY = 0x5354_4550_5354_4F4E
MYSQL_LOCK_NAME = "stepstone_schema_migration"
MYSQL_LOCK_TIMEOUT_S = 300


def read_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions in ``alembic_version`` (empty if the table does not exist yet).

    A missing table is the normal state of a new database, so a failing ``SELECT`` means "none";
    a failure to *connect* is not caught here and reaches the caller.
    """
    with engine.connect() as connection:
        try:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except DBAPIError:
            return ()
    return tuple(sorted(row[0] for row in rows))


def ensure_schema(engine: Engine, url: URL) -> None:
    """Bring the database to :data:`SCHEMA_REVISION`, migrating under a lock only if needed.

    Raises:
        MetadataStoreError: the database cannot be reached, the migration failed, or the
            database was created by a newer stepstone.
    """
    with wrapped("read the schema version", url):
        current = read_revisions(engine)
    if current == (SCHEMA_REVISION,):
        return
    with wrapped("create or upgrade the schema", url):
        _upgrade_under_lock(engine, url)


def _upgrade_under_lock(engine: Engine, url: URL) -> None:
    from alembic.runtime.migration import MigrationContext

    dialect = engine.dialect.name
    connection = engine.connect()
    if dialect == "sqlite":
        # BEGIN IMMEDIATE takes SQLite's write lock: the migration lock and the transaction in one.
        connection = connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
    with connection:
        if dialect in ("mysql", "mariadb"):
            _mysql_get_lock(connection)
        try:
            with connection.begin():
                if dialect == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY}
                    )
                heads = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
                if heads == (SCHEMA_REVISION,):
                    return  # another process migrated while we waited for the lock
                _refuse_unknown_revisions(heads, url)
                run_alembic_upgrade(connection)
        finally:
            if dialect in ("mysql", "mariadb"):
                connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MYSQL_LOCK_NAME})
                connection.commit()


def _mysql_get_lock(connection: Connection) -> None:
    acquired = connection.execute(
        text("SELECT GET_LOCK(:name, :timeout)"),
        {"name": MYSQL_LOCK_NAME, "timeout": MYSQL_LOCK_TIMEOUT_S},
    ).scalar()
    connection.commit()
    if acquired != 1:
        raise MetadataStoreError(
            f"Metadata store: timed out after {MYSQL_LOCK_TIMEOUT_S}s waiting for another process "
            "to finish migrating the schema; retry, or check for a stuck stepstone process."
        )


def script_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates '%': escape it so any install path works.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The head revision of the packaged migrations (what :data:`SCHEMA_REVISION` must equal)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(script_config()).get_current_head()
    if head is None:
        raise MetadataStoreError("Metadata store: the packaged migrations have no head revision.")
    return head


def _refuse_unknown_revisions(heads: tuple[str, ...], url: URL) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(script_config())
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = [head for head in heads if head not in known]
    if unknown:
        raise MetadataStoreError(
            f"Metadata store: the database at {mask_url(url)} has schema revision "
            f"{', '.join(unknown)}, newer than this stepstone knows (it expects {SCHEMA_REVISION})."
            " It was upgraded by a newer stepstone; upgrade stepstone to use it "
            "(pip install -U stepstone)."
        )


def run_alembic_upgrade(connection: Connection) -> None:
    """Run ``alembic upgrade head`` on ``connection`` (inside the caller's transaction)."""
    from alembic import command

    command.upgrade(script_config(connection), "head")
