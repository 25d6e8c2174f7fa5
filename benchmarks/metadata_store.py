"""Metadata store hot paths: medians in microseconds, against a raw sqlite3 baseline.

    python benchmarks/metadata_store.py                 # a fresh SQLite file in a temp folder
    python benchmarks/metadata_store.py --url postgresql+psycopg://postgres@127.0.0.1/test
    python benchmarks/metadata_store.py --url mysql+pymysql://root@127.0.0.1:3306/test

Budgets (docs: DESIGN.md): a fully cached step may cost <= 500 us of driver overhead (one
lookup_cache + its share of a batched record_step_runs); an executed no-op step <= 2 ms including
its own committed write. The raw sqlite3 SELECT by primary key shows the floor on this machine.
Nothing here asserts: benchmarks print, tests assert behaviour.

The last figures are what ``stepstone runs list`` pays on a big store: a FRESH process (so imports
count) opens an existing store of 10,000 runs x 4 step runs and reads the newest 20 runs and the
total. The budget for the whole command is 0.5 s; the store's part should be a small slice of it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stepstone.cache.manifest import KeyManifest
from stepstone.metadata import (
    ArtifactRecord,
    MetadataStore,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
    open_metadata_store,
)
from stepstone.metadata.records import NewArtifactVersion

PRODUCERS = 2_000
#: Versions one output name already has when an executed step numbers the next one.
VERSIONS_BEFORE = 10_000
BIG_RUNS = 10_000
STEPS_PER_RUN = 4


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


def executed_write(run: PipelineRunRecord, i: int, label: str | None = None) -> StepRunWrite:
    step_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    label = label or str(i)
    artifact = ArtifactRecord(
        uuid.uuid4().hex, key(f"a{label}"), f"/a/{label}", "int", "builtin", "1", 8, step_id, now,
        {},
    )  # fmt: skip
    step = StepRunRecord(
        step_id, run.id, f"s{i}", "s", "completed", i, now, now, 0.001, key(label),
        KeyManifest({"code": "c", "parameters": {}}), {}, outputs={"output": artifact},
    )  # fmt: skip
    return StepRunWrite(step, (artifact,), logs="hello\n", cache_entry=True)


def versioned_write(run: PipelineRunRecord, i: int) -> StepRunWrite:
    """An executed step whose output gets the next automatic version of one name."""
    write = executed_write(run, i, f"versioned-{i}")
    artifact = write.step_run.outputs["output"]
    version = NewArtifactVersion(
        artifact.id, "bench::s::output", None, "DataArtifact", False, artifact.created_at
    )
    return replace(write, versions=(version,))


def cached_write(run: PipelineRunRecord, i: int, store: MetadataStore) -> StepRunWrite:
    hit = store.lookup_cache([key(i)])[key(i)]
    now = datetime.now(UTC)
    step = StepRunRecord(
        uuid.uuid4().hex, run.id, f"s{i}", "s", "cached", i, now, now, 0.0, key(i),
        KeyManifest({"code": "c", "parameters": {}}), {}, cached_from=hit.step_run_id,
        outputs=hit.outputs,
    )  # fmt: skip
    return StepRunWrite(step)


def bench(url: str) -> dict[str, float]:
    results: dict[str, float] = {}
    start = time.perf_counter_ns()
    store = open_metadata_store(url)
    results["open (first new database: imports SQLAlchemy, creates)"] = (
        time.perf_counter_ns() - start
    ) / 1000
    store.close()
    if url.startswith("sqlite:///"):
        fresh = (f"{url}.new{i}" for i in range(10**9))
        results["open (new database, median)"] = median_us(
            lambda: open_metadata_store(next(fresh)).close(), 20
        )
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
    versioned = new_run(store)
    numbers = iter(range(10**9))
    for _ in range(VERSIONS_BEFORE // 500):
        store.record_step_runs([versioned_write(versioned, next(numbers)) for _ in range(500)])

    def one_versioned() -> None:
        pending[:] = [versioned_write(versioned, next(numbers))]

    results[f"record_step_runs, 1 executed step, its name at {VERSIONS_BEFORE:,} versions"] = (
        median_us(lambda: store.record_step_runs(pending), 500, setup=one_versioned)
    )
    results["list_runs (page of 20, with counts)"] = median_us(
        lambda: store.list_runs(limit=20), 200
    )
    results["get_step_runs (run of 2,000 steps)"] = median_us(
        lambda: store.get_step_runs(producer_run.id), 5
    )
    store.close()
    return results


def fill_big_store(url: str) -> None:
    """``BIG_RUNS`` runs of ``STEPS_PER_RUN`` executed steps (one cache entry and output each)."""
    store = open_metadata_store(url)
    started = datetime(2024, 1, 1, tzinfo=UTC)
    for r in range(BIG_RUNS):
        run_id = uuid.uuid4().hex
        run = PipelineRunRecord(
            run_id, f"big-{run_id}", f"pipeline-{r % 3}", "completed",
            started + timedelta(minutes=r), started + timedelta(minutes=r, seconds=30),
        )  # fmt: skip
        store.create_run(run)
        store.record_step_runs([executed_write(run, i, f"{r}-{i}") for i in range(STEPS_PER_RUN)])
    store.close()


#: Run in a fresh interpreter: what a CLI command pays to open a store and show a page of runs.
OPEN_AND_LIST = """
import json, sys, time
start = time.perf_counter()
from stepstone.metadata import open_metadata_store
imported = time.perf_counter()
store = open_metadata_store(sys.argv[1])
opened = time.perf_counter()
runs = store.list_runs(limit=20)
listed = time.perf_counter()
total = store.count_runs()
counted = time.perf_counter()
store.close()
assert len(runs) == 20 and total >= 10_000, (len(runs), total)
print(json.dumps({
    "alembic imported": "alembic" in sys.modules,
    "import": imported - start, "open": opened - imported,
    "list_runs": listed - opened, "count_runs": counted - listed, "total": counted - start,
}))
"""


def bench_big_store(url: str, repeat: int = 7) -> dict[str, float]:
    """Medians over ``repeat`` fresh processes, in microseconds (process start not included)."""
    samples: list[dict[str, float]] = []
    for _ in range(repeat):
        output = subprocess.run(
            [sys.executable, "-c", OPEN_AND_LIST, url],
            check=True, capture_output=True, text=True, env=os.environ.copy(),
        ).stdout  # fmt: skip
        samples.append(json.loads(output))
    if any(sample.pop("alembic imported") for sample in samples):
        print("  WARNING: opening an up-to-date store imported alembic")
    label = f"{BIG_RUNS:,} runs x {STEPS_PER_RUN} steps, fresh process"
    return {
        f"{label}: {part}": statistics.median(sample[part] for sample in samples) * 1e6
        for part in ("import", "open", "list_runs", "count_runs", "total")
    }


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
    parser.add_argument(
        "--big-url",
        help=f"a second, empty database for the {BIG_RUNS:,}-run store (default: a SQLite file; "
        "needed with --url, whose database the first part already fills)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "metadata.db"
        url = args.url or f"sqlite:///{path}"
        results = bench(url)
        big_url = args.big_url or f"sqlite:///{Path(folder) / 'big.db'}"
        fill_big_store(big_url)
        results.update(bench_big_store(big_url))
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
