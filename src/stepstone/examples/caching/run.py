"""Caching example: train a digit classifier three times and let stepstone skip the repeats.

The pipeline has four steps: ``importer`` (load and split the digits: scikit-learn's bundled
8x8 set by default, MNIST, or a folder of IDX files; see ``--data``), ``normalizer`` (scale
pixels to [0, 1]), ``trainer`` (a small classifier in the chosen ``--framework``: sklearn,
keras or torch, with ``epochs`` and ``lr`` as step parameters) and ``evaluator`` (test
accuracy). It runs:

1. with configuration A: nothing is cached yet, every step executes;
2. with configuration B (another learning rate): ``importer`` and ``normalizer`` did not
   change, so their stored outputs are reused; ``trainer`` and ``evaluator`` execute;
3. with configuration A again: every step's code, parameters and inputs match run 1, so
   every step comes from the cache and nothing is trained.

Then it prints how long each run spent on each step, and the speed-up of the cached run.

Run it:  ``python run.py [--framework keras] [--data mnist]``  (or ``stepstone example run
caching``).
"""

from __future__ import annotations

import os

# On a machine with a few shared cores, BLAS and OpenMP thread pools fight over them: with
# threads on, a fit this small ran 50x slower. The pools read these variables when numpy and
# scikit-learn load, so they are set above those imports, and only where the user set nothing.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import io  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import TYPE_CHECKING, Annotated, Any  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from stepstone import pipeline, step  # noqa: E402
from stepstone.config import load_settings  # noqa: E402

if __package__:
    from .data import DataSourceError, download_mnist, load_source, resolve_source
    from .frameworks import (
        MissingFrameworkError,
        accuracy_keras,
        accuracy_sklearn,
        accuracy_torch,
        check_framework,
        train_keras,
        train_sklearn,
        train_torch,
    )
else:  # a pulled copy, run as ``python run.py`` from its folder
    from data import DataSourceError, download_mnist, load_source, resolve_source  # type: ignore[no-redef]
    from frameworks import (  # type: ignore[no-redef]
        MissingFrameworkError,
        accuracy_keras,
        accuracy_sklearn,
        accuracy_torch,
        check_framework,
        train_keras,
        train_sklearn,
        train_torch,
    )

if TYPE_CHECKING:
    from stepstone import PipelineRun

CONFIG_A: dict[str, Any] = {"epochs": 10, "lr": 1e-3}
CONFIG_B: dict[str, Any] = {"epochs": 10, "lr": 3e-3}


# -- the steps ------------------------------------------------------------------------------


@step
def importer(
    source: str = "digits",
) -> tuple[
    Annotated[np.ndarray, "X_train"],
    Annotated[np.ndarray, "y_train"],
    Annotated[np.ndarray, "X_test"],
    Annotated[np.ndarray, "y_test"],
]:
    """Load a data source (``digits``, ``mnist`` or a folder of IDX files; see ``data.py``).

    Every split is seeded, so every run produces byte-identical arrays, and their content
    hashes keep the downstream steps' cache keys stable.
    """
    return load_source(source)


@step
def normalizer(
    X_train: np.ndarray, X_test: np.ndarray
) -> tuple[Annotated[np.ndarray, "X_train_normed"], Annotated[np.ndarray, "X_test_normed"]]:
    """Scale pixels to [0, 1] using the training set's maximum (the test set must not leak in)."""
    scale = np.float32(X_train.max())
    return X_train.astype(np.float32) / scale, X_test.astype(np.float32) / scale


@step(name="trainer")
def sklearn_trainer(
    X_train: np.ndarray, y_train: np.ndarray, epochs: int = 1, lr: float = 1e-3
) -> Any:
    """A scikit-learn ``MLPClassifier`` with one hidden layer of 128 units."""
    return train_sklearn(X_train, y_train, epochs, lr)


@step(name="trainer")
def keras_trainer(
    X_train: np.ndarray, y_train: np.ndarray, epochs: int = 1, lr: float = 1e-3
) -> Any:
    """The original example's Keras 3 model: Flatten, Dense(10, relu), Dense(10)."""
    return train_keras(X_train, y_train, epochs, lr)


@step(name="trainer")
def torch_trainer(
    X_train: np.ndarray, y_train: np.ndarray, epochs: int = 1, lr: float = 1e-3
) -> Any:
    """The same network as an ``nn.Module`` with its own training loop."""
    return train_torch(X_train, y_train, epochs, lr)


@step(name="evaluator")
def sklearn_evaluator(model: Any, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """The share of test digits the model labels correctly."""
    return accuracy_sklearn(model, X_test, y_test)


@step(name="evaluator")
def keras_evaluator(model: Any, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """The share of test digits the model labels correctly."""
    return accuracy_keras(model, X_test, y_test)


@step(name="evaluator")
def torch_evaluator(model: Any, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """The share of test digits the model labels correctly."""
    return accuracy_torch(model, X_test, y_test)


TRAINERS = {
    "sklearn": (sklearn_trainer, sklearn_evaluator),
    "keras": (keras_trainer, keras_evaluator),
    "torch": (torch_trainer, torch_evaluator),
}
"""``framework`` -> its trainer and evaluator steps (both named as in the original)."""


@pipeline
def mnist_pipeline(
    epochs: int = 1, lr: float = 1e-3, framework: str = "sklearn", data: str = "digits"
) -> None:
    """Import, normalize, train, evaluate: only ``trainer`` depends on epochs and lr.

    A folder of IDX files is declared as the importer's cache dependency: its files are
    hashed into the importer's key, so editing the data reruns it (and what follows).
    """
    source = resolve_source(data)
    load = importer
    if source not in ("digits", "mnist"):
        load = importer.with_options(cache_depends_on=[source])
    X_train, y_train, X_test, y_test = load(source=source)
    X_train_normed, X_test_normed = normalizer(X_train, X_test)
    train, evaluate = TRAINERS[framework]
    model = train(X_train_normed, y_train, epochs=epochs, lr=lr)
    evaluate(model, X_test_normed, y_test)


# -- running it three times ----------------------------------------------------------------


@dataclass
class CachingDemo:
    """The outcome of the three runs: the runs, per-step times and accuracies, the table."""

    configs: list[dict[str, Any]]
    runs: list[PipelineRun] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> list[dict[str, float]]:
        """Per run, step name -> recorded duration (for a cached step: what reusing cost)."""
        return [{n: s.duration or 0.0 for n, s in run.steps.items()} for run in self.runs]

    def table(self) -> Table:
        """Per-step times of each run, with cached steps marked, and run 1 / run 3 speed-up."""
        table = Table(title="Time spent on each step", title_justify="left")
        table.add_column("step")
        for number, config in enumerate(self.configs, start=1):
            table.add_column(f"run {number}\n{_label(config)}", justify="right")
        table.add_column("speed-up\nrun 1 / run 3", justify="right")
        seconds_per_run = self.seconds
        for name in self.runs[0].steps:
            cells = []
            for run, seconds in zip(self.runs, seconds_per_run, strict=True):
                cell = _format_seconds(seconds[name])
                cached = run.steps[name].status == "cached"
                cells.append(f"[green]{cell} cached[/green]" if cached else cell)
            speed_up = _speed_up(seconds_per_run[0][name], seconds_per_run[-1][name])
            table.add_row(name, *cells, speed_up)
        totals = [run.duration or 0.0 for run in self.runs]
        table.add_section()
        table.add_row(
            "[bold]whole run[/bold]",
            *(_format_seconds(total) for total in totals),
            _speed_up(totals[0], totals[-1]),
        )
        return table

    def table_text(self, width: int = 110) -> str:
        """The table as plain text (for logs, tests and terminals without colour)."""
        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(self.table())
        return console.file.getvalue()  # type: ignore[attr-defined]


def _label(config: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in config.items())


def _format_seconds(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def _speed_up(executed: float, cached: float) -> str:
    if cached <= 0.0:
        return "-"
    return f"{executed / cached:,.0f}x"


def run_demo(
    console: Console | None = None,
    framework: str = "sklearn",
    data: str = "digits",
    configs: list[dict[str, Any]] | None = None,
) -> CachingDemo:
    """Run the pipeline with configuration A, then B, then A again, and collect the results.

    ``configs`` replaces ``[CONFIG_A, CONFIG_B, CONFIG_A]`` (three dicts of epochs and lr;
    the first and last equal, so the last run is entirely cached).
    """
    console = console or Console()
    configs = configs or [CONFIG_A, CONFIG_B, CONFIG_A]
    demo = CachingDemo(configs=configs)
    expectations = [
        "nothing is cached yet: every step executes",
        "only the trainer's parameters changed: importer and normalizer come from the cache",
        "same configuration as run 1: every step comes from the cache",
    ]
    for number, (config, expected) in enumerate(
        zip(demo.configs, expectations, strict=True), start=1
    ):
        console.rule(f"Run {number} of 3: {_label(config)}")
        console.print(f"Expected: {expected}.", style="dim")
        run = mnist_pipeline(**config, framework=framework, data=data)
        demo.runs.append(run)
        demo.accuracies.append(run.steps["evaluator"].output.load())
    return demo


def _limit_threads() -> Any:
    """Keep BLAS and OpenMP at one thread even if numpy was loaded before this module was.

    The variables at the top of this file only work if they are set before the libraries
    load; inside the ``stepstone`` command or a test session they may already be loaded.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def prepare(framework: str = "sklearn", data: str = "digits") -> str:
    """Check the framework's packages and the data source before any run; the source.

    ``mnist`` is downloaded here (once), so a failed download is one clear message, not a
    failed step.

    Raises:
        stepstone.examples.ExampleError: a package is missing (the message says which
            ``stepstone integration install`` adds it), or the data source is unusable.
    """
    from stepstone.examples import ExampleError

    try:
        check_framework(framework, data)
        source = resolve_source(data)
        if source == "mnist":
            download_mnist()
    except (MissingFrameworkError, DataSourceError, ValueError) as exc:
        raise ExampleError(str(exc)) from exc
    return source


def main(
    framework: str = "sklearn",
    data: str = "digits",
    configs: list[dict[str, Any]] | None = None,
) -> CachingDemo:
    """Run the example and print the summary table."""
    console = Console()
    prepare(framework, data)
    console.print(f"Framework: {framework}; data: {data}.")
    with _limit_threads():
        demo = run_demo(console, framework=framework, data=data, configs=configs)
    console.print()
    console.print(demo.table())
    accuracies = ", ".join(
        f"run {number}: {accuracy:.3f}" for number, accuracy in enumerate(demo.accuracies, 1)
    )
    console.print(f"Test accuracy - {accuracies}.")
    home = load_settings().home
    console.print(
        f"Runs and artifacts are stored under {home}. "
        "List the runs with 'stepstone runs list'; inspect one with "
        "'stepstone runs show latest'; open the lineage view with 'stepstone dashboard' "
        "or 'stepstone lineage latest -o run.html'."
    )
    return demo


def _arguments() -> tuple[str, str]:
    import argparse

    parser = argparse.ArgumentParser(description="Run the caching example three times.")
    parser.add_argument("--framework", choices=["sklearn", "keras", "torch"], default="sklearn")
    parser.add_argument(
        "--data", default="digits", help="digits (default), mnist, or a folder of IDX files"
    )
    arguments = parser.parse_args()
    return arguments.framework, arguments.data


if __name__ == "__main__":
    framework, data = _arguments()
    main(framework, data)
