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
from collections.abc import Mapping  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import TYPE_CHECKING, Annotated, Any  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from stepstone import log_metadata, pipeline, step  # noqa: E402
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
    """The share of test digits the model labels correctly (logged, for ``runs list``)."""
    accuracy = accuracy_sklearn(model, X_test, y_test)
    log_metadata({"accuracy": accuracy})
    return accuracy


@step(name="evaluator")
def keras_evaluator(model: Any, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """The share of test digits the model labels correctly (logged, for ``runs list``)."""
    accuracy = accuracy_keras(model, X_test, y_test)
    log_metadata({"accuracy": accuracy})
    return accuracy


@step(name="evaluator")
def torch_evaluator(model: Any, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """The share of test digits the model labels correctly (logged, for ``runs list``)."""
    accuracy = accuracy_torch(model, X_test, y_test)
    log_metadata({"accuracy": accuracy})
    return accuracy


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
    executed: dict[str, float] = field(default_factory=dict)
    """Filled by :func:`run_demo` from :meth:`executed_seconds`, while its store is open."""

    @property
    def seconds(self) -> list[dict[str, float]]:
        """Per run, step name -> recorded duration (for a cached step: what reusing cost)."""
        return [{n: s.duration or 0.0 for n, s in run.steps.items()} for run in self.runs]

    def table(self, executed: Mapping[str, float] | None = None) -> Table:
        """Per-step times of each run, with cached steps marked, and the last run's speed-up.

        The speed-up of a step the last run reused compares what reusing cost with what
        executing it cost in the run that really executed it (``executed``: step name ->
        seconds, as recorded by :func:`run_demo`), which need not be run 1 when the store
        already held results before the demo started.
        """
        executed = executed if executed is not None else self.executed
        table = Table(title="Time spent on each step", title_justify="left")
        table.add_column("step")
        for number, config in enumerate(self.configs, start=1):
            table.add_column(f"run {number}\n{_label(config)}", justify="right")
        table.add_column(f"speed-up of run {len(self.runs)}\n(executed / reused)", justify="right")
        seconds_per_run = self.seconds
        last = self.runs[-1]
        for name in self.runs[0].steps:
            cells = []
            for run, seconds in zip(self.runs, seconds_per_run, strict=True):
                cell = _format_seconds(seconds[name])
                cached = run.steps[name].status == "cached"
                cells.append(f"[green]{cell} cached[/green]" if cached else cell)
            reused = last.steps[name].status == "cached"
            speed_up = _speed_up(executed[name], seconds_per_run[-1][name]) if reused else "-"
            table.add_row(name, *cells, speed_up)
        totals = [run.duration or 0.0 for run in self.runs]
        table.add_section()
        all_reused = all(step.status == "cached" for step in last.steps.values())
        table.add_row(
            "[bold]whole run[/bold]",
            *(_format_seconds(total) for total in totals),
            _speed_up(sum(executed.values()), totals[-1]) if all_reused else "-",
        )
        return table

    def executed_seconds(self) -> dict[str, float]:
        """Step name -> how long the step run that executed the last run's step took.

        For a step the last run reused, that is the step run its cache entry points to (in
        this demo's runs or an earlier one); for a step it executed, its own time.
        """
        from stepstone import Client

        client = Client()
        seconds = {}
        for name, step_run in self.runs[-1].steps.items():
            source = client.get_step_run(step_run.cached_from) if step_run.cached_from else None
            seconds[name] = ((source or step_run).duration) or 0.0
        return seconds

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

    ``configs`` replaces ``[CONFIG_A, CONFIG_B, CONFIG_A]`` (dicts of epochs and lr; the
    first and last equal, so the last run is entirely cached). Before each run a line says
    what the store's cache entries lead to expect, and after it what really happened.
    """
    console = console or Console()
    configs = configs or [CONFIG_A, CONFIG_B, CONFIG_A]
    demo = CachingDemo(configs=configs)
    for number, config in enumerate(demo.configs, start=1):
        console.rule(f"Run {number} of {len(demo.configs)}: {_label(config)}")
        parameters = {**config, "framework": framework, "data": data}
        console.print(f"Expected: {expectation(parameters)}.", style="dim")
        run = mnist_pipeline(**parameters)
        demo.runs.append(run)
        demo.accuracies.append(run.steps["evaluator"].output.load())
        console.print(f"Result: {outcome(run)}.", style="dim")
    demo.executed = demo.executed_seconds()
    return demo


STEP_PARAMETERS: dict[str, tuple[str, ...]] = {
    "importer": ("data",),
    "normalizer": ("data",),
    "trainer": ("data", "framework", "epochs", "lr"),
    "evaluator": ("data", "framework", "epochs", "lr"),
}
"""Step -> the pipeline parameters its cache key depends on (through its inputs too)."""


def expectation(parameters: Mapping[str, Any]) -> str:
    """What a run with ``parameters`` should reuse, from the cache entries the store holds.

    A step is expected from the cache when an entry of it was stored by a run whose
    parameters agree on everything the step depends on (:data:`STEP_PARAMETERS`). Edited
    code changes keys too, which parameters cannot show: hence "expected", and the result
    printed after each run.
    """
    from stepstone import Client

    metadata = Client().stores.metadata
    entries = metadata.list_cache_entries(pipeline_name=mnist_pipeline.name, limit=1000)
    run_parameters: dict[str, dict[str, Any]] = {}
    cached: dict[str, str] = {}  # step -> the run whose result it should reuse
    for entry in entries:
        if entry.invocation_name in cached or entry.invocation_name not in STEP_PARAMETERS:
            continue
        if entry.run_id not in run_parameters:
            record = metadata.get_run(entry.run_id)
            run_parameters[entry.run_id] = record.parameters if record is not None else {}
        recorded = run_parameters[entry.run_id]
        keys = STEP_PARAMETERS[entry.invocation_name]
        if all(recorded.get(key) == parameters.get(key) for key in keys):
            cached[entry.invocation_name] = entry.run_name
    if not cached:
        return "no matching result is stored: every step executes"
    sources = ", ".join(dict.fromkeys(cached.values()))
    if len(cached) == len(STEP_PARAMETERS):
        return f"every step comes from the cache (stored by {sources})"
    executed = [name for name in STEP_PARAMETERS if name not in cached]
    reused = [name for name in STEP_PARAMETERS if name in cached]
    return (
        f"{' and '.join(reused)} come from the cache (stored by {sources}); "
        f"{' and '.join(executed)} execute"
    )


def outcome(run: PipelineRun) -> str:
    """Which steps a finished run executed and which it reused: what really happened."""
    reused = [name for name, step in run.steps.items() if step.status == "cached"]
    executed = [name for name, step in run.steps.items() if step.status != "cached"]
    if not reused:
        return "every step executed"
    if not executed:
        return "every step came from the cache"
    return f"{' and '.join(reused)} came from the cache; {' and '.join(executed)} executed"


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
    fresh: bool = False,
) -> CachingDemo:
    """Run the example and print the summary table.

    ``fresh`` first forgets the pipeline's cache entries (its runs and artifacts stay), so
    run 1 executes every step even in a store that ran the example before.
    """
    from stepstone import Client
    from stepstone.maintenance import clear_cache

    console = Console()
    prepare(framework, data)
    if fresh:
        removed = clear_cache(Client().stores, pipeline_name=mnist_pipeline.name)
        console.print(f"--fresh: forgot {removed} cached result(s) of {mnist_pipeline.name}.")
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
        "'stepstone runs show latest'; write the lineage view of a run with "
        "'stepstone lineage latest -o run.html', or browse them all with 'stepstone dashboard'"
        f"{_dashboard_note()}."
    )
    return demo


def _dashboard_note() -> str:
    """How to install the dashboard's extra, when it is not installed."""
    if all(_installed(module) for module in ("fastapi", "uvicorn", "jinja2")):
        return ""
    return " (install it first: stepstone integration install dashboard)"


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _arguments() -> tuple[str, str, bool]:
    import argparse

    parser = argparse.ArgumentParser(description="Run the caching example three times.")
    parser.add_argument("--framework", choices=["sklearn", "keras", "torch"], default="sklearn")
    parser.add_argument(
        "--data", default="digits", help="digits (default), mnist, or a folder of IDX files"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="forget this pipeline's cached results first, so run 1 executes every step",
    )
    arguments = parser.parse_args()
    return arguments.framework, arguments.data, arguments.fresh


if __name__ == "__main__":
    from stepstone.examples import ExampleError

    framework, data, fresh = _arguments()
    try:
        main(framework, data, fresh=fresh)
    except ExampleError as exc:  # a missing package or bad data: the message says the fix
        raise SystemExit(f"Error: {exc}") from None
