"""Connections and their errors: unreachable servers, bad URLs, connections dropped by the
server and re-opened.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.metadata_factories import (
    executed,
    key,
    started,
)
from metadata.sql_helpers import execute
from stepstone.exceptions import MetadataStoreError
from stepstone.metadata import (
    open_metadata_store,
)


def test_unreachable_server_raises_with_the_password_masked() -> None:
    url = "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/test"
    with pytest.raises(MetadataStoreError, match=r"postgres:\*\*\*@127\.0\.0\.1:1/test") as info:
        open_metadata_store(url)
    assert "s3cret-pw" not in str(info.value)


def test_malformed_url_and_unusable_folder_raise_store_errors(tmp_path: Path) -> None:
    with pytest.raises(MetadataStoreError, match="is not a database URL"):
        open_metadata_store("not a url")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(MetadataStoreError, match="cannot create the folder"):
        open_metadata_store(f"sqlite:///{tmp_path / 'a-file' / 'sub' / 'metadata.db'}")


@pytest.mark.postgres
def test_store_recovers_after_the_server_drops_its_connection(postgres_url: str) -> None:
    with open_metadata_store(postgres_url) as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("survive"))])
        backend = store._hot._connection.info.backend_pid  # type: ignore[attr-defined]
        assert execute(postgres_url, f"SELECT pg_terminate_backend({int(backend)})") == [(True,)]
        with pytest.raises(MetadataStoreError, match="could not"):
            store.lookup_cache([key("survive")])
        # The broken connection was dropped: the next call reconnects instead of failing forever.
        assert key("survive") in store.lookup_cache([key("survive")])
        store.record_step_runs([executed(run, "train", 1)])
        assert len(store.get_step_runs(run.id)) == 2


@pytest.mark.mysql
def test_mysql_store_recovers_after_the_server_drops_its_connection(mysql_url: str) -> None:
    with open_metadata_store(mysql_url) as store:
        run = started(store)
        store.record_step_runs([executed(run, "load", 0, cache=key("survive"))])
        thread = store._hot._connection.thread_id()  # type: ignore[attr-defined]
        execute(mysql_url, f"KILL {int(thread)}")
        with pytest.raises(MetadataStoreError, match="could not"):
            store.lookup_cache([key("survive")])
        assert key("survive") in store.lookup_cache([key("survive")])
        store.record_step_runs([executed(run, "train", 1)])
        assert len(store.get_step_runs(run.id)) == 2


@pytest.fixture
def silent_server() -> Iterator[int]:
    """The port of a TCP server on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def test_mysql_server_that_never_answers_fails_instead_of_hanging(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stepstone.metadata.sql import engine

    monkeypatch.setattr(engine, "MYSQL_READ_TIMEOUT_S", 1)
    failures: list[BaseException] = []

    def open_store() -> None:
        try:
            open_metadata_store(f"mysql+pymysql://u:pw@127.0.0.1:{silent_server}/db")
        except BaseException as exc:
            failures.append(exc)

    opener = threading.Thread(target=open_store, daemon=True)
    opener.start()
    opener.join(60)  # without a read timeout it would wait forever
    assert not opener.is_alive(), "opening a store on a silent MySQL server hangs"
    assert len(failures) == 1 and isinstance(failures[0], MetadataStoreError)
    assert f"u:***@127.0.0.1:{silent_server}/db" in str(failures[0])
    assert "timed out" in str(failures[0])


def test_mysql_connections_wait_for_answers_for_a_bounded_time() -> None:
    from stepstone.metadata.sql.engine import MYSQL_READ_TIMEOUT_S, make_engine
    from stepstone.metadata.sql.schema import MYSQL_LOCK_TIMEOUT_S

    made, url = make_engine("mysql+pymysql://u@127.0.0.1:1/db?read_timeout=7")
    _args, options = made.dialect.create_connect_args(url)
    assert options["read_timeout"] == 7
    made.dispose()
    assert MYSQL_LOCK_TIMEOUT_S < MYSQL_READ_TIMEOUT_S


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "mysql"])
def server_url(request: pytest.FixtureRequest) -> str:
    """A fresh database on each server that aborts transactions to break deadlocks."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_a_write_the_server_aborts_to_break_a_deadlock_is_written_again(server_url: str) -> None:
    """Two transactions lock rows 1 and 2 in opposite orders: the server aborts the store's.

    The store's is made the victim: on PostgreSQL it checks for deadlocks first (a shorter
    ``deadlock_timeout``), on MySQL/MariaDB it is the smaller transaction. The store writes it
    again once the other has committed, and nothing of the aborted try remains.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    postgres = server_url.startswith("postgresql")
    execute(server_url, "CREATE TABLE probe (id INT PRIMARY KEY, v INT)")
    execute(server_url, "CREATE TABLE heavy (id INT PRIMARY KEY)")
    execute(server_url, "INSERT INTO probe VALUES (1, 0), (2, 0)")
    other_engine = create_engine(server_url, poolclass=NullPool)
    other = other_engine.connect()
    other.begin()
    if postgres:
        other.execute(text("SET LOCAL deadlock_timeout = '10s'"))
    else:
        other.execute(text("SET SESSION innodb_lock_wait_timeout = 20"))
        other.execute(text("INSERT INTO heavy VALUES " + ", ".join(f"({i})" for i in range(50))))
    other.execute(text("UPDATE probe SET v = v + 10 WHERE id = 2"))
    failures: list[BaseException] = []

    def other_takes_row_1() -> None:
        try:
            other.execute(text("UPDATE probe SET v = v + 10 WHERE id = 1"))
            other.commit()
        except BaseException as exc:
            failures.append(exc)

    blocked = threading.Thread(target=other_takes_row_1, daemon=True)
    attempts: list[int] = []

    def bump(cursor: object) -> str:
        attempts.append(len(attempts) + 1)
        if postgres:
            cursor.execute("SET LOCAL deadlock_timeout = '100ms'")  # type: ignore[attr-defined]
        cursor.execute("UPDATE probe SET v = v + 1 WHERE id = 1")  # type: ignore[attr-defined]
        if len(attempts) == 1:
            blocked.start()
            time.sleep(0.3)  # the other now waits for row 1; row 2 closes the cycle
            cursor.execute("UPDATE probe SET v = v + 1 WHERE id = 2")  # type: ignore[attr-defined]
        return "written"

    try:
        with open_metadata_store(server_url) as store:
            assert store._hot.write("bump the probe", bump) == "written"  # type: ignore[attr-defined]
        blocked.join(30)
    finally:
        other.close()
        other_engine.dispose()
    assert not failures, failures
    assert attempts == [1, 2]
    # Row 1: the other's +10, then the second try's +1; row 2: the first try's +1 rolled back.
    assert execute(server_url, "SELECT id, v FROM probe ORDER BY id") == [(1, 11), (2, 10)]


def test_a_write_that_fails_for_another_reason_is_not_written_again(tmp_path: Path) -> None:
    attempts: list[int] = []

    def broken(cursor: object) -> None:
        attempts.append(1)
        cursor.execute("INSERT INTO no_such_table VALUES (1)")  # type: ignore[attr-defined]

    with open_metadata_store(f"sqlite:///{tmp_path / 'metadata.db'}") as store:
        with pytest.raises(MetadataStoreError, match=r"could not fill the table.*no such table"):
            store._hot.write("fill the table", broken)  # type: ignore[attr-defined]
    assert attempts == [1]
