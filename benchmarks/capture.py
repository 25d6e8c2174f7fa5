"""What capturing a step's output costs: per step (open and close), and per line printed.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/capture.py``

Capture runs around every executed step, so its fixed cost is part of the executed no-op
step overhead (``benchmarks/overhead.py``). Every figure is a median over repeats, printed
next to a baseline measured in the same process: an empty ``with`` block for the per-step
cost, the same writes straight to the console for the per-line cost.
"""

from __future__ import annotations

import io
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from stepstone.execution.capture import capture_output

REPEATS = 7
BLOCKS = 20_000
LINES = 50_000


def _median_seconds(function: Callable[[], object], repeats: int = REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _open_and_close(context: Callable[[], object]) -> None:
    for _ in range(BLOCKS):
        with context():  # type: ignore[attr-defined]
            pass


def _print_lines() -> None:
    for number in range(LINES):
        print("a line of step output", number)


def _captured_lines() -> None:
    with capture_output():
        _print_lines()


def _two_threads_capturing() -> None:
    barrier = threading.Barrier(2)

    def one_step() -> None:
        barrier.wait()
        _open_and_close(capture_output)

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(one_step) for _ in range(2)]:
            future.result()


def main() -> None:
    console = sys.stdout
    sys.stdout = io.StringIO()  # the same console for both sides; nothing reaches the terminal
    try:
        empty = _median_seconds(lambda: _open_and_close(nullcontext)) / BLOCKS
        captured = _median_seconds(lambda: _open_and_close(capture_output)) / BLOCKS
        threaded = _median_seconds(_two_threads_capturing) / (2 * BLOCKS)
        sys.stdout = io.StringIO()
        direct_line = _median_seconds(_print_lines) / LINES
        sys.stdout = io.StringIO()
        captured_line = _median_seconds(_captured_lines) / LINES
    finally:
        sys.stdout = console
    print("what                              | median     | baseline   | ratio")
    print(
        f"open + close one capture           | {captured * 1e6:7.2f} µs | "
        f"{empty * 1e6:7.2f} µs | {captured / empty:5.1f}x (baseline: empty with-block)"
    )
    print(
        f"same, two threads capturing at once| {threaded * 1e6:7.2f} µs | "
        f"{captured * 1e6:7.2f} µs | {threaded / captured:5.1f}x (baseline: one thread)"
    )
    print(
        f"print() one line, captured         | {captured_line * 1e6:7.2f} µs | "
        f"{direct_line * 1e6:7.2f} µs | {captured_line / direct_line:5.1f}x "
        "(baseline: print to the console directly)"
    )


if __name__ == "__main__":
    main()
