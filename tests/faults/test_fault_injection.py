"""Fault injection: kill -9 around commits and during a large write, damaged artifacts.

Each case runs a real pipeline in a subprocess, breaks it, and runs it again. Every case asserts
a consistent store (SQLite's integrity check, every cache entry loadable), the right final
answer, and that only unfinished or damaged work is redone. Kill points are drawn from a
seeded generator, so a failure reproduces; their number is bounded to keep the suite short.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shared_fixtures import SRC, Spawn

pytestmark = pytest.mark.slow

SEED = 16
KILLS = 6

FLOW = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from stepstone import pipeline, step

    def note(name):
        with open(os.environ["FAULT_LOG"], "a") as log:
            log.write(name + "\\n")

    @step
    def square(i: int) -> int:
        note(f"square {i}")
        return i * i

    @step
    def add(a: int, b: int) -> int:
        note("add")
        return a + b

    @step
    def finish(total: int, offset: int) -> int:
        note("finish")
        return total + offset

    @step
    def big(n: int) -> np.ndarray:
        note("big")
        return np.full(n, 1.0)

    @step
    def measure(values: np.ndarray) -> float:
        note("measure")
        return float(values.sum())

    @pipeline
    def tree(offset: int):
        values = [square(i=i) for i in range(8)]
        while len(values) > 1:
            values = [add(values[k], values[k + 1]) for k in range(0, len(values), 2)]
        finish(values[0], offset=offset)

    @pipeline
    def large(n: int):
        measure(big(n=n))

    if sys.argv[1] == "tree":
        run = tree(int(sys.argv[2]))
        value = run.steps["finish"].output.load()
    else:
        run = large(int(sys.argv[2]))
        value = run.steps["measure"].output.load()
    statuses = [s.status for s in run.steps.values()]
    print("RESULT", value, statuses.count("completed"), statuses.count("cached"), flush=True)
    """
)
TREE_STEPS = 8 + 4 + 2 + 1 + 1
BIG = 48 * 2**20 // 8  # a 48 MiB array


@pytest.fixture
def flow(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "flow.py"
    script.write_text(FLOW)
    monkeypatch.setenv("FAULT_LOG", str(tmp_path / "executions.log"))
    monkeypatch.setenv("PYTHONPATH", SRC)
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    return script


def _start(spawn: Spawn, script: Path, *args: str) -> subprocess.Popen[str]:
    return spawn(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _finish(script: Path, *args: str) -> tuple[float, int, int]:
    """Run to the end; the final value and how many steps executed and were reused."""
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    _, value, executed, cached = line.split()
    return float(value), int(executed), int(cached)


def _kill_after(process: subprocess.Popen[str], marker: str, count: int, delay: float) -> None:
    """SIGKILL ``process`` ``delay`` seconds after its ``count``-th line containing ``marker``."""
    assert process.stdout is not None
    seen = 0
    for line in process.stdout:
        seen += marker in line
        if seen >= count:
            time.sleep(delay)
            break
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()


def _executions(tmp_path: Path) -> list[str]:
    log = tmp_path / "executions.log"
    return log.read_text().splitlines() if log.exists() else []


def _consistent(home: Path) -> int:
    """Assert the metadata database is sound and every cache entry's artifacts exist.

    Returns the number of cache entries.
    """
    database = sqlite3.connect(home / "metadata.db")
    try:
        assert database.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = database.execute(
            "SELECT a.uri FROM cache_entries c"
            " JOIN step_run_artifacts e ON e.step_run_id = c.step_run_id"
            " AND e.direction = 'output'"
            " JOIN artifacts a ON a.id = e.artifact_id"
        ).fetchall()
        entries = database.execute("SELECT count(*) FROM cache_entries").fetchone()[0]
    finally:
        database.close()
    for (uri,) in rows:
        assert Path(uri).is_dir() and any(Path(uri).iterdir()), f"cache entry without {uri}"
    return int(entries)


def test_random_kills_around_commits_redo_only_unfinished_work(
    spawn: Spawn, flow: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chance = random.Random(SEED)
    for attempt in range(KILLS):
        home = tmp_path / f"home-{attempt}"  # fresh: every entry left is this attempt's work
        monkeypatch.setenv("STEPSTONE_HOME", str(home))
        process = _start(spawn, flow, "tree", "0")
        _kill_after(process, "has finished", chance.randint(1, TREE_STEPS), chance.random() / 50)
        entries = _consistent(home)
        before = len(_executions(tmp_path))
        value, executed, cached = _finish(flow, "tree", "0")
        assert value == 140
        assert (executed, cached) == (TREE_STEPS - entries, entries)
        assert len(_executions(tmp_path)) - before == executed  # nothing ran unrecorded
        assert _consistent(home) == TREE_STEPS


def test_kill_during_a_large_write_is_redone_and_leaves_no_broken_entry(
    spawn: Spawn, flow: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chance = random.Random(SEED)
    for attempt in range(2):
        home = tmp_path / f"home-{attempt}"
        monkeypatch.setenv("STEPSTONE_HOME", str(home))
        process = _start(spawn, flow, "large", str(BIG))
        _kill_after(process, "Step `big` has started", 1, chance.uniform(0.05, 0.5))
        entries = _consistent(home)
        value, executed, cached = _finish(flow, "large", str(BIG))
        assert value == float(BIG)
        assert (executed, cached) == (2 - entries, entries)
        assert _consistent(home) == 2


def _damage(folder: Path, kind: str) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    data = max(files, key=lambda p: p.stat().st_size)
    if kind == "delete folder":
        for path in files:
            path.unlink()
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir()
        folder.rmdir()
    elif kind == "delete data":
        data.unlink()
    elif kind == "truncate":
        data.write_bytes(data.read_bytes()[:-1])
    elif kind == "flip a byte":
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        data.write_bytes(bytes(raw))
    elif kind == "append":
        data.write_bytes(data.read_bytes() + b"\0")


@pytest.mark.parametrize(
    "kind", ["delete folder", "delete data", "truncate", "flip a byte", "append"]
)
def test_damaged_intermediate_artifact_is_recomputed_alone(
    flow: Path, isolated_home: Path, tmp_path: Path, kind: str
) -> None:
    from stepstone import Client
    from stepstone.stores import close_all_stores

    assert _finish(flow, "tree", "0") == (140.0, TREE_STEPS, 0)
    uri = Client().get_run("latest").steps["add_7"].outputs["output"].uri
    close_all_stores()
    _damage(Path(uri), kind)
    before = len(_executions(tmp_path))
    # A new offset re-executes finish, which loads the damaged total: its producer runs again.
    value, executed, cached = _finish(flow, "tree", "5")
    assert value == 145.0
    assert (executed, cached) == (2, TREE_STEPS - 2)
    assert _executions(tmp_path)[before:] == ["add", "finish"]
    _consistent(isolated_home)
