"""CLI start-up: ``stepstone --help`` and the read commands on a store of 10,000 runs.

    python benchmarks/cli_startup.py                  # 10,000 runs in a fresh temp home
    python benchmarks/cli_startup.py --runs 50000 --repeat 9
    python benchmarks/cli_startup.py --importtime     # also: the slowest imports per command
    python benchmarks/cli_startup.py --against ../base/src --instructions   # before/after

Budgets: ``stepstone --help`` and ``stepstone runs list`` each finish in < 0.5 s on a store
with 10,000 runs (issue 7); ``runs list``, ``runs show latest``, ``cache list`` and
``explain latest train`` each in <= 0.3 s. Each command runs as a fresh subprocess of the
installed executable (what a user waits for, interpreter start included); the figure is the
median of ``--repeat`` runs after one warm-up. ``--against`` times another source tree in turn
(``PYTHONPATH``); ``--instructions`` adds callgrind's instruction count of one run each.
Baselines in the same loop: the bare interpreter (``python -c pass``) and ``import stepstone``.
Nothing here asserts: benchmarks print, tests assert behaviour.

The store is filled through the metadata store's own write path (``create_run`` per run,
``record_step_runs`` in batches of many runs' step runs), so it holds what real runs write:
three step runs per run, the last two cached half of the time, one output artifact each, and
the run's graph.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stepstone.cache.manifest import KeyManifest
from stepstone.metadata import (
    ArtifactRecord,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
    open_metadata_store,
)

STEPS = ("load", "featurize", "train")
BATCH_RUNS = 500
GRAPH = {
    "steps": [
        {
            "name": name,
            "definition_name": name,
            "upstream": list(STEPS[position - 1 : position]),
            "inputs": {"data": [STEPS[position - 1], "output"]} if position else {},
            "outputs": ["output"],
        }
        for position, name in enumerate(STEPS)
    ]
}
"""The graph a run records when it starts (``PipelineGraph.describe``): ``explain latest train``
finds the newest run with a ``train`` step in it."""


def _step(
    run: PipelineRunRecord, position: int, now: datetime, cached_from: str | None
) -> StepRunWrite:
    step_id = uuid.uuid4().hex
    artifact = ArtifactRecord(
        id=uuid.uuid4().hex,
        content_hash=uuid.uuid4().hex * 2,
        uri=f"/nowhere/{step_id}",
        data_type="builtins.int",
        materializer="builtins.json",
        materializer_version="1",
        size=8,
        producer_step_run_id=step_id,
        created_at=now,
    )
    record = StepRunRecord(
        id=step_id,
        run_id=run.id,
        name=STEPS[position],
        definition_name=STEPS[position],
        status="cached" if cached_from else "completed",
        position=position,
        started_at=now,
        ended_at=now,
        duration=0.0 if cached_from else 0.5,
        cache_key=uuid.uuid4().hex * 2,
        manifest=KeyManifest(components={"code": {"digest": "c"}, "parameters": {}}),
        parameters={"epochs": position},
        cached_from=cached_from,
        outputs={"output": artifact},
    )
    return StepRunWrite(record, new_artifacts=(artifact,), logs="log line\n", cache_entry=True)


def build_store(home: Path, runs: int) -> float:
    """Fill ``home`` with ``runs`` completed runs; return the seconds it took."""
    start = time.perf_counter()
    store = open_metadata_store(f"sqlite:///{home / 'metadata.db'}")
    first = datetime.now(UTC) - timedelta(seconds=runs)
    writes: list[StepRunWrite] = []
    previous: str | None = None
    for i in range(runs):
        started = first + timedelta(seconds=i)
        run = PipelineRunRecord(
            id=uuid.uuid4().hex,
            name=f"bench_pipeline-{started:%Y_%m_%d-%H_%M_%S_%f}",
            pipeline_name=f"bench_pipeline_{i % 5}",
            status="completed",
            started_at=started,
            ended_at=started + timedelta(seconds=0.8),
            parameters={"epochs": i % 7, "lr": 0.001},
            graph=GRAPH,
        )
        store.create_run(run)
        for position in range(len(STEPS)):
            cached = previous if (position and i % 2) else None
            write = _step(run, position, started, cached)
            writes.append(write)
            previous = write.step_run.id
        if len(writes) >= BATCH_RUNS * len(STEPS):
            store.record_step_runs(writes)
            writes = []
    store.record_step_runs(writes)
    count = store.count_runs()
    store.close()
    assert count >= runs, count
    return time.perf_counter() - start


def executable() -> list[str]:
    """The installed ``stepstone`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "stepstone"
    if script.is_file():
        return [str(script)]
    found = shutil.which("stepstone")
    return [found] if found else [sys.executable, "-m", "stepstone.cli"]


def time_command(
    argv: list[str], envs: list[dict[str, str]], repeat: int
) -> list[tuple[float, float, list[float]]]:
    """Median wall and CPU (user + system) seconds of ``argv`` as a fresh process, per env.

    One untimed warm-up first. The environments take turns within each repetition, so a
    before/after pair sees the same moments of a shared machine's load. CPU time is what the
    process itself costs; on a busy machine wall time also counts waiting for a core, so the
    two together say which one moved.
    """
    walls: list[list[float]] = [[] for _ in envs]
    cpus: list[list[float]] = [[] for _ in envs]
    for i in range(repeat + 1):
        for which, env in enumerate(envs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if completed.returncode != 0:
                raise SystemExit(f"{argv} failed ({completed.returncode}):\n{completed.stderr}")
            if i:
                walls[which].append(elapsed)
                cpus[which].append(
                    after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                )
    return [
        (statistics.median(w), statistics.median(c), w) for w, c in zip(walls, cpus, strict=True)
    ]


def instructions(argv: list[str], env: dict[str, str]) -> int | None:
    """Instructions ``argv`` executes (callgrind's ``Ir``): unlike time, steady under load."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv]
    try:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:  # no valgrind on this machine
        return None
    found = re.search(r"Collected : (\d+)", completed.stderr)
    return int(found.group(1)) if found else None


def slowest_imports(argv: list[str], env: dict[str, str], top: int = 8) -> list[tuple[int, str]]:
    """The ``top`` imports with the largest cumulative time (``python -X importtime``)."""
    command = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "stepstone.cli",
        *argv[len(executable()) :],
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    rows = []
    for line in completed.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    top_level = [row for row in rows if not row[1].startswith("   ")]  # depth 0 and 1
    return sorted(top_level, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--importtime", action="store_true", help="show the slowest imports")
    parser.add_argument(
        "--against",
        metavar="SRC",
        help="another source folder (a before tree's src/) timed in turn with this one",
    )
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (valgrind)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stepstone-cli-bench-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        seconds = build_store(home, args.runs)
        print(
            f"built a store of {args.runs:,} runs ({args.runs * len(STEPS):,} step runs) "
            f"in {seconds:.1f} s"
        )
        # Bytecode caches as an installed package has them (the warm-up writes them): an
        # environment with PYTHONDONTWRITEBYTECODE would otherwise compile every module per run.
        env = {**os.environ, "STEPSTONE_HOME": str(home), "COLUMNS": "120"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        stepstone = executable()
        commands = [
            ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"]),
            ("python -c 'import stepstone'", [sys.executable, "-c", "import stepstone"]),
            ("stepstone --help", [*stepstone, "--help"]),
            ("stepstone version", [*stepstone, "version"]),
            ("stepstone runs list", [*stepstone, "runs", "list"]),
            ("stepstone runs list --json", [*stepstone, "runs", "list", "--json"]),
            ("stepstone runs show latest", [*stepstone, "runs", "show", "latest"]),
            ("stepstone cache list", [*stepstone, "cache", "list"]),
            ("stepstone explain latest train", [*stepstone, "explain", "latest", "train"]),
        ]
        envs = [env]
        labels = ["this tree"]
        if args.against:
            envs.append({**env, "PYTHONPATH": args.against})
            labels.append(args.against)
        print(f"\na fresh process each, median of {args.repeat} ({' '.join(stepstone)})")
        print(f"  {'command':38s} {'wall':>7s}    {'cpu':>7s}    wall min-max")
        for label, argv in commands:
            for tree, (wall, cpu, samples) in zip(
                labels, time_command(argv, envs, args.repeat), strict=True
            ):
                spread = f"{min(samples) * 1e3:.0f}-{max(samples) * 1e3:.0f}"
                suffix = f"  ({tree})" if args.against else ""
                print(
                    f"  {label:38s} {wall * 1e3:4.0f} ms    {cpu * 1e3:4.0f} ms    {spread} ms"
                    f"{suffix}"
                )
            if args.instructions:
                for tree, tree_env in zip(labels, envs, strict=True):
                    counted = instructions(argv, tree_env)
                    if counted is not None:
                        print(f"      {counted / 1e6:,.0f} M instructions ({tree})")
            if args.importtime and argv[: len(stepstone)] == stepstone:
                for micros, module in slowest_imports(argv, env):
                    print(f"      {micros / 1e3:6.1f} ms  {module.strip()}")
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
