"""Code fingerprinting: a step that reaches 200 helpers across 20 modules.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/fingerprint.py``

A generated package of 20 modules holds 10 helpers each: a chain ``h0 -> h1 -> ... -> h9``,
with the helpers of every second module kept in a dispatch dict (reached through a value),
and one module constant. The step calls ``h0`` of every module, so its fingerprint covers 200
functions, 10 dicts and 20 constants. Measured, as medians:

* **first time**: a fresh copy of the package (new files, new function objects) imported,
  then fingerprinted: what the first run of a step costs in a new process;
* **a second step**: another step of the same package that reaches the same 200 helpers,
  fingerprinted after the first (each helper's code is parsed once per process);
* **cached**: the same step fingerprinted again in the same process (a dictionary lookup);
* the baseline of the same process: parsing the 20 module files with ``ast.parse`` (what
  any source-based fingerprint has to pay at least once).

Budgets (DESIGN.md): a cached step's whole overhead 0.2 ms; an executed no-op step 0.5 ms.
The first fingerprint is paid once per process per step; the cached one on every run after.
"""

from __future__ import annotations

import ast
import importlib
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from stepstone.cache import fingerprint_function

MODULES = 20
HELPERS = 10
ROUNDS = 9
CACHED_CALLS = 10_000


def _module_source(index: int) -> str:
    lines = [f"OFFSET = {index}", ""]
    for j in range(HELPERS):
        call = f"h{j + 1}(x)" if j + 1 < HELPERS else "x"
        if index % 2 and j + 1 < HELPERS:
            call = f'TABLE["h{j + 1}"](x)'
        lines += [f"def h{j}(x):", f"    return {call} + OFFSET * {j}", ""]
    if index % 2:
        entries = ", ".join(f'"h{j}": h{j}' for j in range(HELPERS))
        lines += [f"TABLE = {{{entries}}}", ""]
    return "\n".join(lines)


def write_package(root: Path, name: str) -> None:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for index in range(MODULES):
        (package / f"m{index}.py").write_text(_module_source(index))
    imports = "\n".join(f"from . import m{index}" for index in range(MODULES))
    calls = " + ".join(f"m{index}.h0(x)" for index in range(MODULES))
    step = (
        f"{imports}\n\n\ndef step(x):\n    return {calls}\n\n\ndef other(x):\n    return {calls}\n"
    )
    (package / "steps.py").write_text(textwrap.dedent(step))


def main() -> None:
    first: list[float] = []
    second: list[float] = []
    parse: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sys.path.insert(0, str(root))
        for round_ in range(ROUNDS):
            name = f"generated{round_}"
            write_package(root, name)
            importlib.invalidate_caches()
            steps = importlib.import_module(f"{name}.steps")
            step = steps.step
            start = time.perf_counter()
            fingerprint = fingerprint_function(step)
            first.append(time.perf_counter() - start)
            start = time.perf_counter()
            fingerprint_function(steps.other)
            second.append(time.perf_counter() - start)
            start = time.perf_counter()
            for index in range(MODULES):
                ast.parse((root / name / f"m{index}.py").read_text())
            parse.append(time.perf_counter() - start)
        functions = sum(1 for key in fingerprint.objects if ".h" in key and "<" not in key)
        cached: list[float] = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(CACHED_CALLS):
                fingerprint_function(step)
            cached.append((time.perf_counter() - start) / CACHED_CALLS)
    first_ms = statistics.median(first) * 1e3
    second_ms = statistics.median(second) * 1e3
    parse_ms = statistics.median(parse) * 1e3
    cached_us = statistics.median(cached) * 1e6
    entries = len(fingerprint.objects)
    print(f"step reaching {functions} helpers in {MODULES} modules ({entries} entries)")
    print(f"  first fingerprint in a process   {first_ms:8.1f} ms  (median of {ROUNDS})")
    print(f"  a second step, same helpers      {second_ms:8.1f} ms")
    print(f"  baseline: ast.parse of the files {parse_ms:8.1f} ms  ({first_ms / parse_ms:.1f}x)")
    print(
        f"  cached fingerprint               {cached_us:8.2f} us  (median of 5 x {CACHED_CALLS:,})"
    )
    print(f"  cached vs 0.2 ms cached-step budget: {cached_us / 200:.2%} of it")
    print(f"  first vs 0.5 ms executed-step budget: {first_ms / 0.5:.0f}x, once per process")


if __name__ == "__main__":
    main()
