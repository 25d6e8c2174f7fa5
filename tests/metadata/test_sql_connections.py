"""Connections and their errors: unreachable servers, bad URLs, connections dropped by the
server and re-opened.
"""

from __future__ import annotations

import socket
import threading
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
