"""What single-flight costs a step: executed and cached, with and without leases.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/leases.py``

A chain of 100 no-op steps runs fully executed (a fresh ``salt`` makes every key new) and
fully cached, alternately with leases (the default) and without (the driver's lease seam
replaced by none), in the same process on one SQLite store. An executed step with a lease
pays for taking it (one statement, which also tells whether the key was recorded meanwhile, so
no second lookup follows on SQLite) and the release inside the step's own record; a cached
step never takes one. Medians of interleaved
repeats, since this machine's shared cores drift.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# The same no-op chain overhead.py times (this script runs from benchmarks/, beside it).
from overhead import CHAIN_MODULE

STEPS = 100
REPEATS = 7


def _per_step(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / STEPS


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        (workdir / "chain_steps.py").write_text(CHAIN_MODULE)
        os.environ["STEPSTONE_HOME"] = str(workdir / "home")
        sys.path.insert(0, str(workdir))
        from chain_steps import chain  # type: ignore[import-not-found]

        from stepstone.orchestrators import driver
        from stepstone.orchestrators.driver import run_pipeline

        with_leases = driver.StepLeases

        def no_leases(*args: object) -> None:
            return None

        salt = iter(range(1, 1_000_000))
        run_pipeline(chain, (STEPS, 0), {}, listeners=[])  # warm: fingerprints, schema, store
        samples: dict[str, list[float]] = {name: [] for name in ("lease", "none")}
        cached: dict[str, list[float]] = {name: [] for name in ("lease", "none")}
        for _ in range(REPEATS):
            for name, seam in (("lease", with_leases), ("none", no_leases)):
                driver.StepLeases = seam  # type: ignore[assignment,misc]
                samples[name].append(
                    _per_step(lambda: run_pipeline(chain, (STEPS, next(salt)), {}, listeners=[]))
                )
                cached[name].append(
                    _per_step(lambda: run_pipeline(chain, (STEPS, 0), {}, listeners=[]))
                )
        driver.StepLeases = with_leases  # type: ignore[misc]

    executed = {name: statistics.median(values) for name, values in samples.items()}
    reused = {name: statistics.median(values) for name, values in cached.items()}
    load = os.getloadavg()[0]
    print(f"{STEPS}-step chain, median of {REPEATS} interleaved runs (load average {load:.2f})")
    print("            | with leases | without | lease adds")
    for label, figures in (("executed", executed), ("cached", reused)):
        added = figures["lease"] - figures["none"]
        print(
            f"{label:<11} | {figures['lease'] * 1e3:8.3f} ms | {figures['none'] * 1e3:5.3f} ms"
            f" | {added * 1e3:+.3f} ms ({figures['lease'] / figures['none']:.2f}x)"
        )


if __name__ == "__main__":
    main()
