"""Executors: parallel speed-up, the cost of a Dask round trip, and cached runs.

    python benchmarks/executors.py                    # 8 steps of 1 s CPU, 3 rounds
    python benchmarks/executors.py --seconds 0.5 --repeat 5

Budgets (issue 12), on a 2-core machine:
  * 8 independent steps of 1 s of CPU work on ``processes:2`` and on a 2-worker Dask
    ``LocalCluster`` take <= 0.6x the time of ``local`` (serial);
  * a no-op step executed on Dask costs <= 10 ms more than on ``local`` (a run of one, and
    each of a chain of ten, where what a run costs once is shared);
  * a fully cached run costs the same through any executor (nothing is submitted).
The pools and the cluster are started once, before the rounds (their start-up is printed
separately). Every round runs each case once, interleaved, so all see the same machine
load; medians and ratios to ``local`` of the same process are printed, with the load
average. Nothing here asserts: benchmarks print, tests assert behaviour.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from stepstone import pipeline, step
from stepstone.orchestrators.driver import run_pipeline
from stepstone.orchestrators.executors import ProcessPool


@step
def burn(i: int, seconds: float) -> int:
    """``seconds`` of this process's CPU time."""
    end = time.process_time() + seconds
    count = 0
    while time.process_time() < end:
        count += 1
    return i


@pipeline
def eight(seconds: float = 1.0):
    for i in range(8):
        burn(i, seconds, id=f"burn_{i}")


@step
def noop() -> None:
    return None


@pipeline
def one_noop():
    noop()


@step
def tick(previous: int) -> int:
    return previous + 1


@pipeline
def ten_ticks():
    value = tick(0, id="tick_0")
    for i in range(1, 10):
        value = tick(value, id=f"tick_{i}")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def rounds(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds per call of each case, ``repeat`` interleaved rounds after one warm-up."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(-1, repeat):
        for name, case in cases.items():
            seconds = timed(case)
            if i >= 0:
                times[name].append(seconds)
    return times


def report(title: str, times: dict[str, list[float]], unit: float = 1.0, label: str = "s") -> None:
    print(f"\n{title} (median of {len(times['local'])})")
    base = statistics.median(times["local"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median * unit:9.3f} {label}   {median / base:5.2f}x local")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per step")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds")
    parser.add_argument("--noop-repeat", type=int, default=30, help="runs of the no-op step")
    args = parser.parse_args()
    os.environ["STEPSTONE_HOME"] = tempfile.mkdtemp(prefix="stepstone-bench-")
    import distributed

    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()}")
    pool_start = time.perf_counter()
    pool = ProcessPool(2)
    pool.submit(int).result()
    pool.submit(int).result()
    print(f"process pool of 2 started in {time.perf_counter() - pool_start:.2f} s")
    cluster_start = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=50,
    )
    client = distributed.Client(cluster, set_as_default=False)
    print(f"Dask LocalCluster of 2 workers started in {time.perf_counter() - cluster_start:.2f} s")
    executors: dict[str, Any] = {"local": "local", "processes:2": pool, "dask (2 workers)": client}
    try:
        uncached = eight.with_options(enable_cache=False)
        report(
            f"8 independent steps of {args.seconds:g} s CPU",
            rounds(
                {
                    name: lambda e=e: run_pipeline(
                        uncached, kwargs={"seconds": args.seconds}, executor=e, listeners=[]
                    )
                    for name, e in executors.items()
                },
                args.repeat,
            ),
        )
        noops = one_noop.with_options(enable_cache=False)
        times = rounds(
            {
                name: lambda e=e: run_pipeline(noops, executor=e, listeners=[])
                for name, e in executors.items()
            },
            args.noop_repeat,
        )
        report("one no-op step, a whole run", times, 1e3, "ms")
        base = statistics.median(times["local"])
        for name, values in times.items():
            extra = (statistics.median(values) - base) * 1e3
            print(f"  {name:28s} {extra:+9.1f} ms per step over local")
        ticks = ten_ticks.with_options(enable_cache=False)
        times = rounds(
            {
                name: lambda e=e: run_pipeline(ticks, executor=e, listeners=[])
                for name, e in executors.items()
            },
            max(args.noop_repeat // 3, 1),
        )
        report("a chain of ten quick steps, a whole run", times, 1e3, "ms")
        base = statistics.median(times["local"])
        for name, values in times.items():
            extra = (statistics.median(values) - base) * 1e2
            print(f"  {name:28s} {extra:+9.1f} ms per step over local")
        run_pipeline(eight, kwargs={"seconds": args.seconds}, listeners=[])  # fill the cache
        report(
            "fully cached run of the 8 steps",
            rounds(
                {
                    name: lambda e=e: run_pipeline(
                        eight, kwargs={"seconds": args.seconds}, executor=e, listeners=[]
                    )
                    for name, e in executors.items()
                },
                args.noop_repeat,
            ),
            1e3,
            "ms",
        )
    finally:
        client.close()
        cluster.close()
        pool.shutdown()
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
