"""Shared fixtures: every test gets its own stepstone home unless it asks for another.

Metadata stores (the contract suites and the SQL store's own tests run on every backend):
``metadata_url`` is a fresh, empty database per test — a SQLite file in the test's tmp folder,
a freshly created schema on the PostgreSQL server named by ``STEPSTONE_TEST_POSTGRES_URL`` and a
freshly created database on the MySQL/MariaDB server named by ``STEPSTONE_TEST_MYSQL_URL`` (e.g.
``mysql+pymysql://root@127.0.0.1:3306/test``). A server test is skipped with the reason when its
variable is unset or the server unreachable, or fails instead when
``STEPSTONE_TEST_REQUIRE_SERVERS=1``, as in CI.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from s3_servers import moto_s3, seaweedfs_s3
from stepstone.metadata import MetadataStore, open_metadata_store
from stepstone.stores import close_all_stores

__all__ = ["moto_s3", "seaweedfs_s3"]  # session fixtures: real S3 servers on 127.0.0.1

_STEPSTONE_VARIABLES = (
    "STEPSTONE_HOME",
    "STEPSTONE_METADATA_URL",
    "STEPSTONE_ARTIFACT_ROOT",
    "STEPSTONE_CACHE",
    "STEPSTONE_ALLOW_PICKLE",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh home per test, so no test sees another's runs or the user's real stores."""
    for variable in _STEPSTONE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    home = tmp_path / "stepstone-home"
    monkeypatch.setenv("STEPSTONE_HOME", str(home))
    yield home
    close_all_stores()


def require_servers() -> bool:
    """In CI every server-backed test must run: a missing server fails instead of skipping."""
    return os.environ.get("STEPSTONE_TEST_REQUIRE_SERVERS") == "1"


POSTGRES_URL_VARIABLE = "STEPSTONE_TEST_POSTGRES_URL"


MYSQL_URL_VARIABLE = "STEPSTONE_TEST_MYSQL_URL"


def pytest_configure(config: pytest.Config) -> None:
    # Registered here rather than in pyproject.toml, so it exists only once this file is loaded:
    # the MySQL cases get it at collection (below), not when this module is imported.
    config.addinivalue_line(
        "markers", f"mysql: needs the MySQL/MariaDB server named by {MYSQL_URL_VARIABLE}"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("metadata_url") == "mysql":
            item.add_marker("mysql")


@functools.cache
def _server_problem(url: str, kind: str) -> str | None:
    """Why the server cannot be used, or ``None`` if it can (checked once per URL)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    try:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    except (SQLAlchemyError, ImportError) as exc:
        return f"{kind} at {url} is unusable: {str(exc).splitlines()[0]}"
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, ImportError) as exc:
        return f"{kind} at {url} is unreachable: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def server_base_url(variable: str, kind: str) -> str:
    """The server URL named by ``variable``, or skip (fail in CI) with the reason."""
    url = os.environ.get(variable)
    problem = f"{variable} is not set" if not url else _server_problem(url, kind)
    if problem:
        if os.environ.get("STEPSTONE_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    assert url is not None
    return url


def _postgres_base_url() -> str:
    return server_base_url(POSTGRES_URL_VARIABLE, "PostgreSQL")


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


@contextmanager
def fresh_mysql_database(base: str, prefix: str = "stepstone_test") -> Iterator[str]:
    """Create a uniquely named database on the server of ``base``; yield its URL; drop it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    database = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE `{database}` ")
    try:
        yield make_url(base).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{database}`")
        admin.dispose()


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A URL of a fresh database on the MySQL/MariaDB test server, dropped after the test."""
    with fresh_mysql_database(server_base_url(MYSQL_URL_VARIABLE, "MySQL")) as url:
        yield url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "mysql",  # marked ``mysql`` by pytest_collection_modifyitems
    ]
)
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of a fresh, empty metadata database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metadata' / 'metadata.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def metadata_store(metadata_url: str) -> Iterator[MetadataStore]:
    """An opened store on a fresh database, closed after the test."""
    store = open_metadata_store(metadata_url)
    try:
        yield store
    finally:
        store.close()
