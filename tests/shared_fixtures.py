"""Fixtures and helpers shared by every test folder (a plugin loaded by ``tests/conftest.py``).

``SRC`` is the source folder a fresh interpreter needs on ``PYTHONPATH`` to import this
checkout. ``store`` is a local artifact store; every test gets the materializer registry
restored after it. ``run_python`` runs code in a fresh interpreter; ``spawn`` starts processes
that are killed and reaped after the test whatever its outcome. ``browser`` is a headless
Chromium (Playwright over Debian's build), one per module. ``unavailable`` and
``server_base_url`` decide what a test does without its server or browser: skip with the
reason, or fail when ``STEPSTONE_TEST_REQUIRE_SERVERS=1`` (CI), so nothing is skipped there.

Metadata stores (the contract suites and the SQL store's own tests run on every backend):
``metadata_url`` is a fresh, empty database per test — a SQLite file in the test's tmp folder,
a freshly created schema on the PostgreSQL server named by ``STEPSTONE_TEST_POSTGRES_URL`` and a
freshly created database on the MySQL/MariaDB server named by ``STEPSTONE_TEST_MYSQL_URL``. When a
variable is unset, the server's default local address is tried (:data:`DEFAULT_SERVER_URLS`), so
a machine running both servers tests against them without any setup.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

import stepstone
from stepstone.artifacts import ArtifactStore, registry_snapshot
from stepstone.metadata import MetadataStore, open_metadata_store

SRC = str(Path(stepstone.__file__).resolve().parents[1])
"""The ``src`` folder of the checkout under test."""

REQUIRE_SERVERS_VARIABLE = "STEPSTONE_TEST_REQUIRE_SERVERS"


CHROMIUM = Path(os.environ.get("STEPSTONE_TEST_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium, which the browser tests drive (never a downloaded build)."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright, one per test module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    """A fresh local artifact store in the test's tmp folder."""
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(autouse=True)
def restore_registry() -> Iterator[None]:
    """Tests register throwaway materializers; none may leak into the next test.

    The once-per-type pickle warnings are forgotten too, so each test sees its own first one.
    """
    with registry_snapshot():
        yield


def run_python(
    code: str,
    *args: str,
    hash_seed: str = "random",
    path: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> str:
    """Stripped stdout of ``code`` in a fresh interpreter that imports this checkout.

    ``path`` adds folders after ``SRC`` on ``PYTHONPATH``; ``env`` adds variables.
    """
    environment = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": os.pathsep.join([SRC, *path]),
        "PYTHONHASHSEED": hash_seed,
    }
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(name="run_python")
def run_python_fixture() -> Callable[..., str]:
    """``run_python(code, *argv, hash_seed=...)``: stdout of ``code`` in a fresh interpreter."""
    return run_python


Spawn = Callable[..., "subprocess.Popen[str]"]
"""``spawn(args, **popen_options)``: a text-mode ``subprocess.Popen`` the test does not clean up."""


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Starts processes; each one still running after the test is killed, then all are reaped.

    A failed assertion or a timeout would otherwise leave a process behind, holding a database
    connection, a lease or a lock that the next tests then wait on.
    """
    started: list[subprocess.Popen[str]] = []

    def start(args: Sequence[str], **options: Any) -> subprocess.Popen[str]:
        process = subprocess.Popen(args, text=True, **options)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()


def unavailable(reason: str) -> NoReturn:
    """Skip for want of a server or browser, or fail in CI, where every such test must run."""
    if os.environ.get(REQUIRE_SERVERS_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVERS_VARIABLE}=1: this test must run)")
    pytest.skip(reason)


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


DEFAULT_SERVER_URLS = {
    "STEPSTONE_TEST_POSTGRES_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "STEPSTONE_TEST_MYSQL_URL": "mysql+pymysql://root@127.0.0.1:3306/test",
}
"""Where each server listens on a default local install, tried when its variable is unset."""


def server_base_url(variable: str, kind: str) -> str:
    """The server URL named by ``variable`` (else its default local address), or skip (fail in
    CI) with the reason."""
    url = os.environ.get(variable) or DEFAULT_SERVER_URLS[variable]
    problem = _server_problem(url, kind)
    if problem:
        if not os.environ.get(variable):
            problem += f" (set {variable} to use another server)"
        unavailable(problem)
    return url


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


@contextmanager
def fresh_postgres_schema(
    base: str, prefix: str = "stepstone_test", options: str = ""
) -> Iterator[str]:
    """Create a uniquely named schema; yield a URL whose connections see only it; drop it.

    ``options`` adds PostgreSQL session settings (``-ctimezone=...``) to the search path.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    session = " ".join(part for part in (f"-csearch_path={schema}", options) if part)
    try:
        yield (
            make_url(base)
            .update_query_dict({"options": session})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


# -- metadata stores on every backend ---------------------------------------------------

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


def _postgres_base_url() -> str:
    return server_base_url(POSTGRES_URL_VARIABLE, "PostgreSQL")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a fresh schema (via ``search_path``), dropped after."""
    # An odd session time zone (+05:45) proves timestamps come back in UTC whatever the server's.
    with fresh_postgres_schema(_postgres_base_url(), options="-ctimezone=Asia/Kathmandu") as url:
        yield url


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
