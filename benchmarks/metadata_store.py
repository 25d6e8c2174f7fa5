"""Metadata store hot paths: medians in microseconds, against a raw sqlite3 baseline.

    python benchmarks/metadata_store.py                 # a fresh SQLite file in a temp folder
    python benchmarks/metadata_store.py --url postgresql+psycopg://postgres@127.0.0.1/test

Budgets (docs: DESIGN.md): a fully cached step may cost <= 500 us of driver overhead (one
lookup_cache + its share of a batched record_step_runs); an executed no-op step <= 2 ms including
its own committed write. The raw sqlite3 SELECT by primary key shows the floor on this machine.
Nothing here asserts: benchmarks print, tests assert behaviour.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from stepstone.metadata import (
    ArtifactRecord,
    MetadataStore,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
    open_metadata_store,
)

PRODUCERS = 2_000


def key(i: int | str) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def median_us(
    fn: Callable[[], object], repeat: int, setup: Callable[[], None] | None = None
) -> float:
    """Median wall time of ``fn`` in microseconds (after a short warm-up)."""
    for _ in range(min(50, repeat)):
        if setup:
            setup()
        fn()
    samples = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def new_run(store: MetadataStore) -> PipelineRunRecord:
    run_id = uuid.uuid4().hex
    run = PipelineRunRecord(run_id, f"bench-{run_id}", "bench", "running", datetime.now(UTC), None)
    store.create_run(run)
    return run


def executed_write(run: PipelineRunRecord, i: int) -> StepRunWrite:
    step_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    artifact = ArtifactRecord(
        uuid.uuid4().hex, key(f"a{i}"), f"/a/{i}", "int", "builtin", "1", 8, step_id, now, {}
    )
    step = StepRunRecord(
        step_id, run.id, f"s{i}", "s", "completed", i, now, now, 0.001, key(i),
        {"code": "c", "parameters": {}}, {}, outputs={"output": artifact},
    )  # fmt: skip
    return StepRunWrite(step, (artifact,), logs="hello\n", cache_entry=True)


def cached_write(run: PipelineRunRecord, i: int, store: MetadataStore) -> StepRunWrite:
    hit = store.lookup_cache([key(i)])[key(i)]
    now = datetime.now(UTC)
    step = StepRunRecord(
        uuid.uuid4().hex, run.id, f"s{i}", "s", "cached", i, now, now, 0.0, key(i),
        {"code": "c", "parameters": {}}, {}, cached_from=hit.step_run_id, outputs=hit.outputs,
    )  # fmt: skip
    return StepRunWrite(step)


def bench(url: str) -> dict[str, float]:
    results: dict[str, float] = {}
    start = time.perf_counter_ns()
    store = open_metadata_store(url)
    results["open (fresh database: imports SQLAlchemy+Alembic, migrates)"] = (
        time.perf_counter_ns() - start
    ) / 1000
    store.close()
    results["open (existing database)"] = median_us(lambda: open_metadata_store(url).close(), 20)
    store = open_metadata_store(url)

    producer_run = new_run(store)
    store.record_step_runs([executed_write(producer_run, i) for i in range(PRODUCERS)])
    counter = iter(range(10**9))

    results["lookup_cache, 1 key, hit"] = median_us(
        lambda: store.lookup_cache([key(next(counter) % PRODUCERS)]), 2000
    )
    results["lookup_cache, 1 key, miss"] = median_us(lambda: store.lookup_cache([key("no")]), 2000)
    many = [key(i) for i in range(100)]
    results["lookup_cache, 100 keys (per key)"] = (
        median_us(lambda: store.lookup_cache(many), 200) / 100
    )

    run = new_run(store)
    position = iter(range(10**9))
    pending: list[StepRunWrite] = []

    def one_cached() -> None:
        pending[:] = [cached_write(run, next(position) % PRODUCERS, store)]

    results["record_step_runs, 1 cached step run"] = median_us(
        lambda: store.record_step_runs(pending), 1000, setup=one_cached
    )

    def hundred_cached() -> None:
        pending[:] = [cached_write(run, next(position) % PRODUCERS, store) for _ in range(100)]

    batch = median_us(lambda: store.record_step_runs(pending), 100, setup=hundred_cached)
    results["record_step_runs, batch of 100 cached (per call)"] = batch
    results["record_step_runs, batch of 100 cached (per row)"] = batch / 100

    def one_executed() -> None:
        pending[:] = [executed_write(run, PRODUCERS + next(position))]

    results["record_step_runs, 1 executed step (own commit)"] = median_us(
        lambda: store.record_step_runs(pending), 1000, setup=one_executed
    )
    results["=> cached step: lookup hit + 1/100 of a batch"] = (
        results["lookup_cache, 1 key, hit"] + batch / 100
    )
    results["=> executed step: lookup miss + own write"] = (
        results["lookup_cache, 1 key, miss"]
        + results["record_step_runs, 1 executed step (own commit)"]
    )
    results["list_runs (page of 20, with counts)"] = median_us(
        lambda: store.list_runs(limit=20), 200
    )
    results["get_step_runs (run of 2,000 steps)"] = median_us(
        lambda: store.get_step_runs(producer_run.id), 5
    )
    store.close()
    return results


def raw_sqlite_baseline(path: Path) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    cursor = connection.cursor()
    wanted = key(7)

    def select() -> None:
        cursor.execute("SELECT step_run_id FROM cache_entries WHERE cache_key = ?", (wanted,))
        cursor.fetchall()

    try:
        return median_us(select, 5000)
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "metadata.db"
        url = args.url or f"sqlite:///{path}"
        results = bench(url)
        print(f"metadata store on {url.split('://')[0]}; medians in microseconds")
        for name, value in results.items():
            print(f"  {name:<60} {value:10.1f}")
        if args.url is None:
            baseline = raw_sqlite_baseline(path)
            hit = results["lookup_cache, 1 key, hit"]
            print(f"  {'raw sqlite3 SELECT by key (baseline)':<60} {baseline:10.1f}")
            print(f"  {'lookup_cache hit / raw baseline':<60} {hit / baseline:9.1f}x")


if __name__ == "__main__":
    main()
