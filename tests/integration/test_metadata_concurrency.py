"""Several processes share one metadata store: parallel runs, a CLI, a dashboard.

Four processes open the SAME fresh database at the same moment (so they race to create the
schema), then each records a 50-step run whose cache keys overlap with the others'. Users rely
on three things here: nobody fails ("database is locked", duplicate key, half-made schema), no
write is lost, and the cache holds exactly one entry per key, pointing at a step run that really
produced it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_fixtures import (
    MYSQL_URL_VARIABLE,
    POSTGRES_URL_VARIABLE,
    SRC,
    Spawn,
    fresh_mysql_database,
    fresh_postgres_schema,
    server_base_url,
)
from stepstone.metadata import open_metadata_store
from stepstone.metadata.sql import SCHEMA_REVISION

pytestmark = pytest.mark.slow

WORKERS = 4
STEPS = 50
DISTINCT_KEYS = 20

WORKER = r"""
import hashlib, os, sys, time, uuid
from datetime import UTC, datetime

from stepstone.cache.manifest import KeyManifest
from stepstone.metadata import (
    ArtifactRecord, PipelineRunRecord, StepRunRecord, StepRunWrite, open_metadata_store,
)

url, worker, go_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
steps, distinct = int(sys.argv[4]), int(sys.argv[5])

def key(i):
    return hashlib.sha256(f"step-{i % distinct}".encode()).hexdigest()

while not os.path.exists(go_file):  # start together, to race the schema creation
    time.sleep(0.001)
store = open_metadata_store(url)
run = PipelineRunRecord(uuid.uuid4().hex, f"race-{worker}", "race", "running",
                        datetime.now(UTC), None, {"worker": worker})
store.create_run(run)
pending = []
for i in range(steps):
    store.lookup_cache([key(i), key(i + 1)])
    step_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    artifact = ArtifactRecord(uuid.uuid4().hex, key(i), f"/a/{key(i)}", "int", "builtin", "1",
                              8, step_id, now, {})
    step = StepRunRecord(step_id, run.id, f"s{i}", "s", "completed", i, now, now, 0.001,
                         key(i), KeyManifest({"code": "x"}), {}, outputs={"output": artifact})
    pending.append(StepRunWrite(step, (artifact,), logs=f"{worker}:{i}", cache_entry=True))
    if i % 3 != 1:  # a mix of single writes and small batches
        store.record_step_runs(pending)
        pending = []
store.record_step_runs(pending)
store.finish_run(run.id, "completed", datetime.now(UTC))
store.close()
print("ok")
"""


# No ``mysql`` marker here: markers are registered in pyproject.toml, which this change leaves
# alone; select the MySQL case with ``-k mysql``.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "mysql"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared' / 'metadata.db'}"
    elif request.param == "postgres":
        base = server_base_url(POSTGRES_URL_VARIABLE, "PostgreSQL")
        with fresh_postgres_schema(base, "stepstone_race") as url:
            yield url
    else:
        base = server_base_url(MYSQL_URL_VARIABLE, "MySQL")
        with fresh_mysql_database(base, "stepstone_race") as url:
            yield url


def _run_workers(spawn: Spawn, url: str, tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    go_file = tmp_path / "go"
    processes = [
        spawn(
            [
                sys.executable,
                "-c",
                WORKER,
                url,
                str(w),
                str(go_file),
                str(STEPS),
                str(DISTINCT_KEYS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for w in range(WORKERS)
    ]
    go_file.write_text("go")
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=240)
        results.append(
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        )
    return results


def test_processes_racing_on_one_fresh_store_all_succeed(
    spawn: Spawn, shared_url: str, tmp_path: Path
) -> None:
    results = _run_workers(spawn, shared_url, tmp_path)

    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"

    with open_metadata_store(shared_url) as store:
        runs = store.list_runs("race")
        assert sorted(r.name for r in runs) == [f"race-{w}" for w in range(WORKERS)]
        assert all(r.status == "completed" and r.step_count == STEPS for r in runs)
        step_runs = [s for r in runs for s in store.get_step_runs(r.id)]
        assert len(step_runs) == WORKERS * STEPS
        assert all(store.get_logs(s.id) is not None for s in step_runs[::17])

        keys = sorted({s.cache_key for s in step_runs if s.cache_key})
        assert len(keys) == DISTINCT_KEYS
        hits = store.lookup_cache(keys)
        assert set(hits) == set(keys)
        by_id = {s.id: s for s in step_runs}
        for cache_key, hit in hits.items():
            producer = by_id[hit.step_run_id]
            assert producer.cache_key == cache_key
            assert hit.outputs == producer.outputs

    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(shared_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            total, distinct = connection.exec_driver_sql(
                "SELECT count(*), count(DISTINCT cache_key) FROM cache_entries"
            ).one()
            versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    finally:
        engine.dispose()
    assert (total, distinct) == (DISTINCT_KEYS, DISTINCT_KEYS)
    assert [tuple(v) for v in versions] == [(SCHEMA_REVISION,)]
