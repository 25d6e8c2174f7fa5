"""Executed vs cached ``normalizer`` of the caching example on the real MNIST test set.

Runs the example's pipeline (scikit-learn, 1 epoch) on ``../shared/data/mnist`` (the 10,000
t10k images, split 7,500/2,500) in a fresh home ``--repeat`` times: each round's first run
executes the normalizer, its second reuses it from the cache. Prints the medians of the
recorded ``StepRun.duration`` of each and their ratio (issue 6 target: >= 70x).

    python benchmarks/mnist_normalizer.py [--data DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import warnings
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"No MNIST folder at {args.data}; pass --data DIR.")
    executed: list[float] = []
    cached: list[float] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as home:
            os.environ["STEPSTONE_HOME"] = home
            from stepstone.examples.caching.run import mnist_pipeline
            from stepstone.exceptions import PickleFallbackWarning
            from stepstone.stores import close_all_stores

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PickleFallbackWarning)
                first = mnist_pipeline(epochs=1, data=str(args.data))
                second = mnist_pipeline(epochs=1, lr=3e-3, data=str(args.data))
            assert first.steps["normalizer"].status == "completed"
            assert second.steps["normalizer"].status == "cached"
            executed.append(first.steps["normalizer"].duration or 0.0)
            cached.append(second.steps["normalizer"].duration or 0.0)
            close_all_stores()
    run_ms = statistics.median(executed) * 1000
    hit_ms = statistics.median(cached) * 1000
    print(f"normalizer executed: median {run_ms:.2f} ms over {args.repeat} runs")
    print(f"normalizer cached:   median {hit_ms:.3f} ms over {args.repeat} runs")
    print(f"ratio: {run_ms / hit_ms:,.0f}x (target >= 70x)")


if __name__ == "__main__":
    main()
