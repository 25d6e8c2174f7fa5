"""Fixtures of the contract suites: one suite, every backend.

Metadata stores: ``metadata_url`` is a fresh, empty database per test — a SQLite file in the
test's tmp folder, and a freshly created schema on the PostgreSQL server named by
``STEPSTONE_TEST_POSTGRES_URL`` (skipped with the reason when it is unset or unreachable, or
failing instead when ``STEPSTONE_TEST_REQUIRE_SERVERS=1``, as in CI).
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepstone.metadata import MetadataStore, open_metadata_store

POSTGRES_URL_VARIABLE = "STEPSTONE_TEST_POSTGRES_URL"


@functools.cache
def _postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server cannot be used, or ``None`` if it can (checked once)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, ImportError) as exc:
        return f"PostgreSQL at {url} is unreachable: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def _postgres_base_url() -> str:
    """The server URL, or skip (fail in CI) with the reason."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    problem = f"{POSTGRES_URL_VARIABLE} is not set" if not url else _postgres_problem(url)
    if problem:
        if os.environ.get("STEPSTONE_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    assert url is not None
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a fresh schema (via ``search_path``), dropped after."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    base = _postgres_base_url()
    schema = f"stepstone_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    # An odd session time zone (+05:45) proves timestamps come back in UTC whatever the server's.
    options = f"-csearch_path={schema} -ctimezone=Asia/Kathmandu"
    url = make_url(base).update_query_dict({"options": options})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of a fresh, empty metadata database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metadata' / 'metadata.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def metadata_store(metadata_url: str) -> Iterator[MetadataStore]:
    """An opened store on a fresh database, closed after the test."""
    store = open_metadata_store(metadata_url)
    try:
        yield store
    finally:
        store.close()
