"""SQLite specifics: pragmas for concurrent writers, in-memory stores, the fast timestamp codec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from contracts.metadata_factories import (
    executed,
    key,
    started,
)
from stepstone.metadata import (
    open_metadata_store,
)
from stepstone.metadata.sql.sqlite_direct import WAL_CHECKPOINT_PAGES


def test_sqlite_is_set_up_for_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "metadata.db"  # parents are created
    with open_metadata_store(f"sqlite:///{path}") as store:
        with store._engine.connect() as connection:  # type: ignore[attr-defined]
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() >= 10_000
            assert pragma("PRAGMA wal_autocheckpoint").scalar() == WAL_CHECKPOINT_PAGES
    # Reopened, the up-to-date file is served by sqlite3 directly, configured the same way.
    with open_metadata_store(f"sqlite:///{path}") as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("direct"))])
        hot = store._hot  # type: ignore[attr-defined]
        assert type(hot._connector).__name__ == "SqliteConnector"
        settings = [
            hot.query("read a pragma", f"PRAGMA {name}", [])[0][0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        ]
        assert settings[:3] == ["wal", 1, 1] and settings[3] >= 10_000
        checkpoint = hot.query("read a pragma", "PRAGMA wal_autocheckpoint", [])[0][0]
        assert checkpoint == WAL_CHECKPOINT_PAGES
        assert key("direct") in store.lookup_cache([key("direct")])


def test_a_closed_store_leaves_every_record_in_its_database_file(tmp_path: Path) -> None:
    """Checkpoints are rare during a run, so closing must fold the WAL into the file: a copy
    of ``metadata.db`` alone, as a backup takes it, holds everything recorded."""
    path = tmp_path / "metadata.db"
    with open_metadata_store(f"sqlite:///{path}") as store:
        run = started(store)
        store.record_step_runs(
            [executed(run, f"step{i}", i, cache=key(f"wal{i}")) for i in range(50)]
        )
    assert not (tmp_path / "metadata.db-wal").exists()
    copy = tmp_path / "copy" / "metadata.db"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    with open_metadata_store(f"sqlite:///{copy}") as store:
        assert [r.step_count for r in store.list_runs()] == [50]
        assert len(store.lookup_cache([key(f"wal{i}") for i in range(50)])) == 50


def test_numbering_a_version_probes_the_names_index(tmp_path: Path) -> None:
    """Every executed step reads its outputs' highest version numbers: one index probe per
    name, not a read of every version the name has (which grows with every run)."""
    with open_metadata_store(f"sqlite:///{tmp_path / 'metadata.db'}") as store:
        hot = store._hot  # type: ignore[attr-defined]
        statement = store._versions._highest(2)  # type: ignore[attr-defined]
        plan = hot.query("explain", f"EXPLAIN QUERY PLAN {statement}", ["a", "b"])
    details = [row[-1] for row in plan]
    searches = [d for d in details if "artifact_versions" in d]
    assert len(searches) == 2, details
    assert all("COVERING INDEX ix_artifact_versions_name_number (name=?)" in d for d in searches)


def test_in_memory_sqlite_store_works() -> None:
    with open_metadata_store("sqlite://") as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("mem"))])
        assert [r.step_count for r in store.list_runs()] == [1]
        assert key("mem") in store.lookup_cache([key("mem")])
        # Core writes share the one connection with the hot path, and commit.
        assert store.delete_run(run.id).cache_entries == 1
        assert store.lookup_cache([key("mem")]) == {}
        store.record_step_runs([executed(started(store), "load", 0, cache=key("mem"))])
        assert store.clear_cache_entries() == 1


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 1, 12, 0, tzinfo=UTC),  # microsecond 0: still six digits
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_fast_sqlite_timestamps_equal_sqlalchemys(moment: datetime) -> None:
    """The hot path writes timestamps itself; Core must read (and order) them identically."""
    from sqlalchemy.dialects import sqlite

    from stepstone.metadata.sql.codec import sqlite_datetime_in, sqlite_datetime_out
    from stepstone.metadata.sql.tables import UtcDateTime

    dialect = sqlite.dialect()
    utc = UtcDateTime().dialect_impl(dialect)
    stored = utc.bind_processor(dialect)(moment)  # type: ignore[misc]
    assert sqlite_datetime_in(moment) == stored
    assert sqlite_datetime_out(stored) == utc.result_processor(dialect, None)(stored)  # type: ignore[misc]
    assert sqlite_datetime_out(stored) == moment
    assert sqlite_datetime_out(stored).tzinfo == UTC  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_datetime_in(moment.replace(tzinfo=None))
