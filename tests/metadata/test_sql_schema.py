"""The SQL store's schema: created directly on an empty database, equal to the migrated one,
upgraded by Alembic from older revisions, refused when newer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.metadata_factories import (
    executed,
    key,
    make_run,
    started,
)
from metadata.sql_helpers import drop_everything, execute, migrate_with_alembic, reflected_schema
from shared_fixtures import Spawn
from stepstone.exceptions import MetadataStoreError
from stepstone.metadata import (
    open_metadata_store,
)
from stepstone.metadata.records import PipelineRunRecord
from stepstone.metadata.sql.revision import SCHEMA_REVISION


def test_schema_revision_is_the_single_alembic_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import stepstone.metadata
    from stepstone.metadata.sql import SCHEMA_REVISION

    config = Config()
    migrations = Path(stepstone.metadata.__file__).parent / "migrations"
    config.set_main_option("script_location", str(migrations))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_REVISION]


def test_migrations_create_exactly_the_tables_the_code_uses(metadata_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from stepstone.metadata.sql.tables import metadata

    migrate_with_alembic(metadata_url)
    engine = create_engine(metadata_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_a_new_database_gets_exactly_the_migrated_schema(metadata_url: str) -> None:
    """A fresh store is created from tables.py, not by replaying the revisions: same result."""
    migrate_with_alembic(metadata_url)
    migrated = reflected_schema(metadata_url)
    drop_everything(metadata_url)
    assert reflected_schema(metadata_url) == {}

    open_metadata_store(metadata_url).close()

    created = reflected_schema(metadata_url)
    assert created == migrated
    assert set(created) >= {"alembic_version", "pipelines", "step_runs", "cache_entries"}
    assert execute(metadata_url, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]


def test_a_new_database_is_created_without_alembic(metadata_url: str) -> None:
    code = (
        "import sys\n"
        "from stepstone.metadata import open_metadata_store\n"
        "open_metadata_store(sys.argv[1]).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    if metadata_url.startswith("sqlite:///"):
        Path(metadata_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", code, metadata_url], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    with open_metadata_store(metadata_url) as store:
        store.create_run(make_run())
        assert store.count_runs() == 1


def test_reopening_keeps_data_and_does_not_migrate_again(
    metadata_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stepstone.metadata.sql import schema

    with open_metadata_store(metadata_url) as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("kept"))])

    def refuse(*args: object) -> None:
        raise AssertionError("the schema was migrated again on reopening")

    monkeypatch.setattr(schema, "_upgrade_under_lock", refuse)
    with open_metadata_store(metadata_url) as store:
        assert store.get_run(run.id) is not None
        assert key("kept") in store.lookup_cache([key("kept")])
    assert execute(metadata_url, "SELECT version_num FROM alembic_version") == [
        (schema.SCHEMA_REVISION,)
    ]


def test_a_database_with_a_newer_schema_is_refused(metadata_url: str) -> None:
    open_metadata_store(metadata_url).close()
    execute(metadata_url, "UPDATE alembic_version SET version_num = '9999_future'")

    with pytest.raises(MetadataStoreError, match=r"9999_future, newer .* upgrade stepstone"):
        open_metadata_store(metadata_url)


def test_a_database_at_revision_0001_is_upgraded_with_its_data(metadata_url: str) -> None:
    migrate_with_alembic(metadata_url, "0001")
    execute(
        metadata_url,
        "INSERT INTO pipelines (name, created_at) VALUES ('Train', '2025-01-01 00:00:00')",
    )
    execute(
        metadata_url,
        "INSERT INTO pipeline_runs (id, name, pipeline_id, status, started_at, parameters)"
        f" SELECT '{'a' * 32}', 'old', id, 'completed', '2025-01-01 00:00:00', '{{}}'"
        " FROM pipelines",
    )

    with open_metadata_store(metadata_url) as store:
        [old] = store.list_runs()
        assert (old.id, old.name, old.pipeline_name) == ("a" * 32, "old", "Train")
        run = started(store, pipeline="train")  # another pipeline than "Train"
        store.record_step_runs([executed(run, "load", 0, cache=key("new"))])
        assert store.count_runs("train") == store.count_runs("Train") == 1
        with pytest.raises(MetadataStoreError):  # the foreign keys are back
            store.record_step_runs([executed(make_run(), "load", 0)])
    assert execute(metadata_url, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]


def test_the_sqlite_schema_text_is_what_the_tables_create() -> None:
    """A new SQLite store is created from this text without SQLAlchemy: it must be exactly what
    ``create_all`` runs (``PYTHONPATH=src python scripts/sqlite_schema`` writes it again)."""
    from stepstone.metadata.sql import schema, sqlite_schema

    again = "write it again: PYTHONPATH=src python scripts/sqlite_schema"
    assert sqlite_schema.REVISION == SCHEMA_REVISION, again
    assert sqlite_schema.STATEMENTS == schema.sqlite_statements(), again


def test_a_new_sqlite_store_is_created_without_sqlalchemy_as_migrated(tmp_path: Path) -> None:
    migrated_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate_with_alembic(migrated_url)
    url = f"sqlite:///{tmp_path / 'new' / 'metadata.db'}"
    code = (
        "import sys\n"
        "from stepstone.metadata import open_metadata_store\n"
        "open_metadata_store(sys.argv[1]).close()\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert reflected_schema(url) == reflected_schema(migrated_url)
    assert execute(url, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]


@pytest.mark.parametrize("links", ["allowed", "refused"])
def test_a_new_sqlite_store_leaves_only_its_files_and_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: str
) -> None:
    """A new file is published whole by a hard link; a file system without hard links (FAT,
    some network mounts: simulated) gets the schema created in the opened file instead."""
    if links == "refused":

        def refuse(source: object, target: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", refuse)
    path = tmp_path / "metadata.db"
    with open_metadata_store(f"sqlite:///{path}") as store:
        store.create_run(
            PipelineRunRecord("r" * 32, "run-1", "p", "completed", datetime.now(UTC), None)
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.db"]
    assert execute(f"sqlite:///{path}", "SELECT version_num FROM alembic_version") == [
        (SCHEMA_REVISION,)
    ]
    with open_metadata_store(f"sqlite:///{path}") as store:
        assert store.count_runs() == 1


#: Says it is ready, waits for the start file, then opens the new store and records one run.
_OPEN_AT_ONCE = """
import os, sys, time
import stepstone.metadata.sql.store
from stepstone.metadata import open_metadata_store
from stepstone.metadata.records import PipelineRunRecord
from datetime import UTC, datetime
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
with open_metadata_store(sys.argv[1]) as store:
    store.create_run(PipelineRunRecord(
        os.urandom(16).hex(), f"run-{os.getpid()}", "p", "completed", datetime.now(UTC), None
    ))
"""


def test_processes_opening_a_new_store_at_once_create_it_once(
    spawn: Spawn, metadata_url: str, tmp_path: Path
) -> None:
    start = tmp_path / "start"
    processes = [
        spawn(
            [sys.executable, "-c", _OPEN_AT_ONCE, metadata_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(6)
    ]
    for process in processes:
        assert process.stdout is not None
        process.stdout.readline()  # imported: every process opens the moment the file appears
    start.touch()
    errors = [process.communicate(timeout=120)[1] for process in processes]

    assert [process.returncode for process in processes] == [0] * 6, errors
    with open_metadata_store(metadata_url) as store:
        assert store.count_runs() == 6
    assert execute(metadata_url, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]
