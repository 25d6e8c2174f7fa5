"""Making sure a database holds the schema this code expects, cheaply and safely.

Opening a store happens on every run, often in several processes at once (parallel runs, a
dashboard, a CLI), so the check is split in two:

* **Fast path** — one query reads ``alembic_version`` and compares it with
  :data:`SCHEMA_REVISION`. When they agree (every open but the first after an upgrade) Alembic is
  not even imported.
* **Slow path** — take a lock that every opener respects (PostgreSQL ``pg_advisory_xact_lock``,
  MySQL ``GET_LOCK``, SQLite ``BEGIN IMMEDIATE``, which is the database's single write lock), read
  the revision again *inside* the lock (another process may have just migrated), and only then
  change the schema on that same connection. Processes racing to create a fresh database
  therefore create it exactly once; the others wait and find it done.

An empty database gets the current schema directly: ``create_all`` from :mod:`.tables`, then the
revision stamped into ``alembic_version`` (a few milliseconds, where replaying every revision
through Alembic took most of a second). A new SQLite file gets the same statements as text
(:mod:`.sqlite_schema`), without SQLAlchemy: see :mod:`.sqlite_direct`. Alembic runs only to
upgrade a database an older stepstone created; a contract test holds the created schema equal
to the migrated one.

A revision the code does not know means the database was migrated by a newer stepstone; writing
to it could corrupt it, so opening fails and tells the user to upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    text,
)
from sqlalchemy import inspect as inspect_database
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.sql.engine import BEGIN_OPTION, mask_url, store_errors
from stepstone.metadata.sql.revision import SCHEMA_REVISION

__all__ = ["SCHEMA_REVISION", "ensure_schema", "head_revision", "read_revisions"]


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

#: Key of the PostgreSQL advisory lock serialising migrations ("stepstone schema" in spirit).
POSTGRES_LOCK_KEY = 0x5354_4550_5354_4F4E
MYSQL_LOCK_NAME = "stepstone_schema_migration"
#: Shorter than the connection's read timeout, so a wait for the lock ends with its own message.
MYSQL_LOCK_TIMEOUT_S = 100

#: Alembic's own version table, as ``alembic`` would create it: a fresh database is stamped
#: without importing Alembic, and later Alembic upgrades find the table they expect.
ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


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
    with store_errors("read the schema version", url):
        current = read_revisions(engine)
    if current == (SCHEMA_REVISION,):
        return
    with store_errors("create or upgrade the schema", url):
        _upgrade_under_lock(engine, url)


def _upgrade_under_lock(engine: Engine, url: URL) -> None:
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
                present = set(inspect_database(connection).get_table_names())
                if not present:
                    create_current_schema(connection)
                    return
                heads = _heads(connection) if ALEMBIC_VERSION.name in present else ()
                if heads == (SCHEMA_REVISION,):
                    return  # another process migrated while we waited for the lock
                _refuse_unknown_revisions(heads, url)
                run_alembic_upgrade(connection)
        finally:
            if dialect in ("mysql", "mariadb"):
                connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MYSQL_LOCK_NAME})
                connection.commit()


def _heads(connection: Connection) -> tuple[str, ...]:
    rows = connection.execute(ALEMBIC_VERSION.select()).all()
    return tuple(sorted(row[0] for row in rows))


def create_current_schema(connection: Connection) -> None:
    """Create every table of :mod:`.tables` and stamp :data:`SCHEMA_REVISION` (an empty database).

    Runs inside the caller's transaction and migration lock, like an Alembic upgrade would.
    """
    from stepstone.metadata.sql.tables import metadata

    # The caller saw no table at all inside the lock: nothing to check first.
    metadata.create_all(connection, checkfirst=False)
    ALEMBIC_VERSION.create(connection, checkfirst=False)
    connection.execute(ALEMBIC_VERSION.insert().values(version_num=SCHEMA_REVISION))


def sqlite_statements() -> tuple[str, ...]:
    """The DDL :func:`create_current_schema` runs on SQLite, rendered without a database.

    :mod:`.sqlite_schema` holds these statements as text, so a new SQLite store is created
    without importing SQLAlchemy; a test holds the two equal (``scripts/sqlite_schema`` writes
    that module again after a schema change).
    """
    from sqlalchemy import create_mock_engine

    from stepstone.metadata.sql.tables import metadata

    rendered: list[str] = []
    dialect = create_mock_engine("sqlite://", lambda *_: None).dialect
    engine = create_mock_engine(
        "sqlite://", lambda sql, *_, **__: rendered.append(str(sql.compile(dialect=dialect)))
    )
    metadata.create_all(engine, checkfirst=False)
    ALEMBIC_VERSION.create(engine, checkfirst=False)
    # Each table is followed by its indexes, which SQLAlchemy keeps in a set: sorted, so the
    # text is the same in every process.
    statements: list[str] = []
    indexes: list[str] = []
    for statement in (sql.strip() for sql in rendered):
        if statement.startswith("CREATE INDEX"):
            indexes.append(statement)
            continue
        statements += sorted(indexes)
        indexes = []
        statements.append(statement)
    return (*statements, *sorted(indexes))


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
