"""stepstone against joblib.Memory on the same work, alternately, with the ratio of each figure.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/vs_joblib.py``
(options ``--rounds``, ``--chain``, ``--normalizer-rounds``).

The work is one module (written to a temporary folder, so fresh processes import it too):

* the digits pipeline: ``load_digits`` (scikit-learn's bundled 1,797 8x8 images), a
  normalizer with ~2 s of deterministic CPU work, a ``LogisticRegression`` trainer and an
  evaluator. stepstone runs it as a ``@pipeline`` of four ``@step``s; joblib.Memory caches the
  same four functions and calls them in the same order.
* a chain of N no-op steps (``inc(x) -> x + 1``).

Each round uses fresh caches for both tools (a new stepstone home, a new joblib folder), and
the two tools take turns going first; a first round, not counted, takes what either pays once
per process (imports, stepstone's code fingerprints). Figures, medians over the rounds:

1. the pipeline with ``C=1.0`` in a fresh cache: everything executes (in process);
2. then ``C=0.1`` in the same process: data and normalizer reused, trainer and evaluator run;
3. ``C=0.1`` again in a fresh process on the warm cache: fully cached, interpreter start and
   imports included (a bare interpreter's start is printed as the floor);
4. the chain on a fresh cache (per step; for stepstone this includes creating the store);
5. the same chain again, fully cached (per step).

Libraries are imported inside the functions, as a pipeline module that wants fast cached
reruns would do; each tool then imports what it needs. Nothing here asserts: benchmarks print.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

WORK_MODULE = textwrap.dedent(
    """
    NORMALIZER_ROUNDS = {normalizer_rounds}


    def load_data():
        from sklearn.datasets import load_digits

        return load_digits(return_X_y=True)


    def normalize(images):
        import numpy as np

        pixels = images.astype(np.float64)
        work = np.zeros_like(pixels)
        for i in range(NORMALIZER_ROUNDS):  # deterministic CPU work standing in for a transform
            work += np.tanh(pixels * (1.0 / (i + 16.0)))
        return (pixels / 16.0 + 0.0 * work).astype(np.float32)


    def train(features, labels, C):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=C, max_iter=200).fit(features, labels)


    def evaluate(model, features, labels):
        return float(model.score(features, labels))


    def inc(x, salt=0):
        return x + 1
    """
)

STEPSTONE_MODULE = textwrap.dedent(
    """
    from typing import Annotated, Any

    import work
    from stepstone import pipeline, step


    @step
    def load_data() -> tuple[Annotated[Any, "images"], Annotated[Any, "labels"]]:
        return work.load_data()


    @step
    def normalize(images: Any) -> Any:
        return work.normalize(images)


    @step
    def train(features: Any, labels: Any, C: float) -> Any:
        return work.train(features, labels, C)


    @step
    def evaluate(model: Any, features: Any, labels: Any) -> float:
        return work.evaluate(model, features, labels)


    @pipeline
    def digits(C: float = 1.0):
        images, labels = load_data()
        features = normalize(images)
        model = train(features, labels, C=C)
        evaluate(model, features, labels)


    @step
    def inc(x: int, salt: int = 0) -> int:
        return work.inc(x, salt)


    @pipeline
    def chain(n: int = 50, salt: int = 0):
        value = inc(0, salt=salt)
        for _ in range(n - 1):
            value = inc(value, salt=salt)
    """
)

JOBLIB_MODULE = textwrap.dedent(
    """
    import joblib

    import work


    def digits(folder, C):
        memory = joblib.Memory(folder, verbose=0)
        images, labels = memory.cache(work.load_data)()
        features = memory.cache(work.normalize)(images)
        model = memory.cache(work.train)(features, labels, C)
        return memory.cache(work.evaluate)(model, features, labels)


    def chain(folder, n, salt=0):
        inc = joblib.Memory(folder, verbose=0).cache(work.inc)
        value = inc(0, salt)
        for _ in range(n - 1):
            value = inc(value, salt)
        return value
    """
)

#: A fresh process that reruns the pipeline with C=0.1 (argv[1]: the tool, argv[2]: its cache).
RERUN = textwrap.dedent(
    """
    import os, sys
    if sys.argv[1] == "stepstone":
        os.environ["STEPSTONE_HOME"] = sys.argv[2]
        from with_stepstone import digits
        digits(C=0.1)
    else:
        from with_joblib import digits
        digits(sys.argv[2], 0.1)
    """
)


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _process_seconds(args: list[str], workdir: Path) -> float:
    path = os.pathsep.join(filter(None, [str(workdir), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=workdir, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


class Tools:
    """Both tools on one fresh cache each per round, with the same calls."""

    def __init__(self, workdir: Path, chain: int) -> None:
        sys.path.insert(0, str(workdir))
        import with_joblib
        import with_stepstone

        self.workdir = workdir
        self.n = chain
        self.joblib = with_joblib
        self.stepstone = with_stepstone
        self.round = 0

    def fresh(self) -> tuple[str, str]:
        """A new stepstone home (made current) and a new joblib folder."""
        self.round += 1
        home = str(self.workdir / f"stepstone-{self.round}")
        os.environ["STEPSTONE_HOME"] = home
        return home, str(self.workdir / f"joblib-{self.round}")

    def stepstone_run(self, **params: object) -> None:
        with contextlib.redirect_stdout(io.StringIO()):  # the console lines, as a user sees them
            self.stepstone.digits(**params)

    def stepstone_chain(self, salt: int) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            self.stepstone.chain(n=self.n, salt=salt)


def _stepstone_figures(tools: Tools, home: str) -> dict[str, float]:
    n = tools.n
    figures = {
        "run 1: C=1.0, fresh cache, all executed": _seconds(lambda: tools.stepstone_run(C=1.0)),
        "run 2: C=0.1, 2 steps cached": _seconds(lambda: tools.stepstone_run(C=0.1)),
        "run 3: C=0.1, fully cached, fresh process": _process_seconds(
            ["-c", RERUN, "stepstone", home], tools.workdir
        ),
    }
    os.environ["STEPSTONE_HOME"] = home + "-chain"  # a new store: its creation is counted
    figures[f"no-op chain of {n}, fresh cache (per step)"] = (
        _seconds(lambda: tools.stepstone_chain(tools.round)) / n
    )
    figures[f"no-op chain of {n}, cached (per step)"] = (
        _seconds(lambda: tools.stepstone_chain(tools.round)) / n
    )
    os.environ["STEPSTONE_HOME"] = home
    return figures


def _joblib_figures(tools: Tools, folder: str) -> dict[str, float]:
    n, chain = tools.n, folder + "-chain"
    return {
        "run 1: C=1.0, fresh cache, all executed": _seconds(
            lambda: tools.joblib.digits(folder, 1.0)
        ),
        "run 2: C=0.1, 2 steps cached": _seconds(lambda: tools.joblib.digits(folder, 0.1)),
        "run 3: C=0.1, fully cached, fresh process": _process_seconds(
            ["-c", RERUN, "joblib", folder], tools.workdir
        ),
        f"no-op chain of {n}, fresh cache (per step)": (
            _seconds(lambda: tools.joblib.chain(chain, n, tools.round)) / n
        ),
        f"no-op chain of {n}, cached (per step)": (
            _seconds(lambda: tools.joblib.chain(chain, n, tools.round)) / n
        ),
    }


def one_round(tools: Tools, stepstone_first: bool) -> dict[str, tuple[float, float]]:
    """Every figure of one round: name -> (stepstone seconds, joblib seconds)."""
    home, folder = tools.fresh()
    if stepstone_first:
        ours = _stepstone_figures(tools, home)
        theirs = _joblib_figures(tools, folder)
    else:
        theirs = _joblib_figures(tools, folder)
        ours = _stepstone_figures(tools, home)
    return {name: (ours[name], theirs[name]) for name in ours}


def _show(seconds: float) -> str:
    return f"{seconds:8.3f} s " if seconds >= 0.1 else f"{seconds * 1e3:8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds (fresh caches each)")
    parser.add_argument("--chain", type=int, default=50, help="steps in the no-op chain")
    parser.add_argument(
        "--normalizer-rounds",
        type=int,
        default=600,
        help="rounds of the normalizer's CPU work (600: ~2 s on the benchmark machine)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        (workdir / "work.py").write_text(
            WORK_MODULE.format(normalizer_rounds=args.normalizer_rounds)
        )
        (workdir / "with_stepstone.py").write_text(STEPSTONE_MODULE)
        (workdir / "with_joblib.py").write_text(JOBLIB_MODULE)
        # Both tools' pipelines use these libraries: imported once here, neither pays them.
        import numpy  # noqa: F401
        import sklearn.datasets
        import sklearn.linear_model  # noqa: F401

        tools = Tools(workdir, args.chain)
        one_round(tools, stepstone_first=True)  # warm-up, not counted: first-call costs
        rounds = [one_round(tools, stepstone_first=i % 2 == 0) for i in range(args.rounds)]
        bare = statistics.median(_process_seconds(["-c", "pass"], workdir) for _ in range(5))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"stepstone vs joblib.Memory: medians of {args.rounds} rounds, fresh caches each "
        f"(load average {load:.2f})"
    )
    print(f"{'figure':<46} | {'stepstone':>11} | {'joblib':>11} | ratio")
    for name in rounds[0]:
        ours = statistics.median(r[name][0] for r in rounds)
        theirs = statistics.median(r[name][1] for r in rounds)
        print(f"{name:<46} | {_show(ours)} | {_show(theirs)} | {ours / theirs:5.2f}")
    print(f"{'bare interpreter start (floor of run 3)':<46} | {_show(bare)} |")


if __name__ == "__main__":
    main()
