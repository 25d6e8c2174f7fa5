"""Caching example, class-based style: the program as it was written for ZenML before 0.40.

Steps take their parameters as a ``BaseStepConfig``, declare named outputs with ``Output``,
and are handed to the pipeline as configured instances; ``.run()`` runs it. stepstone keeps
this style working on its one engine, so the second run reuses ``importer`` and
``normalizer`` (their code and inputs did not change) and trains again only because the
trainer's config did. New code should use the modern style of ``../run.py``.

The model is the original's small Keras network, trained on scikit-learn's bundled 8x8
digits, so nothing is downloaded. Keras runs on whichever backend is installed (PyTorch if
only that one is).

Run it:  ``python run.py``  (or ``stepstone example run caching --legacy``).
"""

from __future__ import annotations

import os

# As in the modern example: one BLAS/OpenMP thread, set before numpy loads (a fit this
# small runs many times slower when thread pools fight over a few shared cores).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from typing import TYPE_CHECKING, Any  # noqa: E402

import numpy as np  # noqa: E402

from stepstone.integrations.constants import KERAS, SKLEARN  # noqa: E402
from stepstone.pipelines import pipeline  # noqa: E402
from stepstone.steps import BaseStepConfig, Output, step  # noqa: E402

if __package__:
    from ..data import load_source
    from ..frameworks import MissingFrameworkError, accuracy_keras, check_framework, train_keras
else:  # a pulled copy, run as ``python run.py`` from its folder
    from data import load_source  # type: ignore[no-redef]
    from frameworks import (  # type: ignore[no-redef]
        MissingFrameworkError,
        accuracy_keras,
        check_framework,
        train_keras,
    )

if TYPE_CHECKING:
    from stepstone import PipelineRun

EPOCHS = (5, 10)
"""The trainer's epochs in run 1 and run 2: the only thing that changes between them."""


class TrainerConfig(BaseStepConfig):
    """The trainer's parameters; every field is part of the trainer's cache key."""

    epochs: int = 1
    lr: float = 0.001


@step
def importer_mnist() -> Output(  # type: ignore[valid-type]
    X_train=np.ndarray, y_train=np.ndarray, X_test=np.ndarray, y_test=np.ndarray
):
    """The bundled digits, split 75/25 with a fixed seed (identical arrays every run)."""
    return load_source("digits")


@step
def normalizer(X_train: np.ndarray, X_test: np.ndarray) -> Output(  # type: ignore[valid-type]
    X_train_normed=np.ndarray, X_test_normed=np.ndarray
):
    """Scale pixels to [0, 1] by the training set's maximum."""
    scale = np.float32(X_train.max())
    return X_train.astype(np.float32) / scale, X_test.astype(np.float32) / scale


@step
def keras_trainer(config: TrainerConfig, X_train: np.ndarray, y_train: np.ndarray) -> Any:
    """Flatten -> Dense(10, relu) -> Dense(10), Adam, ``config.epochs`` epochs."""
    return train_keras(X_train, y_train, config.epochs, config.lr)


@step
def keras_evaluator(X_test: np.ndarray, y_test: np.ndarray, model: Any) -> float:
    """The share of test digits the model labels correctly."""
    return accuracy_keras(model, X_test, y_test)


@pipeline(name="mnist_pipeline_legacy", required_integrations=[KERAS, SKLEARN])
def mnist_pipeline(importer, normalizer, trainer, evaluator):
    """The steps arrive as arguments; the function wires their outputs together."""
    X_train, y_train, X_test, y_test = importer()
    X_train_normed, X_test_normed = normalizer(X_train=X_train, X_test=X_test)
    model = trainer(X_train=X_train_normed, y_train=y_train)
    evaluator(X_test=X_test_normed, y_test=y_test, model=model)


def run_once(epochs: int) -> PipelineRun:
    """One run of the pipeline, the trainer configured with ``epochs``."""
    instance = mnist_pipeline(
        importer=importer_mnist(),
        normalizer=normalizer(),
        trainer=keras_trainer(config=TrainerConfig(epochs=epochs)),
        evaluator=keras_evaluator(),
    )
    return instance.run()


def main(epochs: tuple[int, ...] = EPOCHS) -> list[PipelineRun]:
    """Run the pipeline once per entry of ``epochs`` and say what each run reused.

    Raises:
        stepstone.examples.ExampleError: Keras, a backend for it or scikit-learn is missing
            (the message names the ``stepstone integration install`` command).
    """
    from stepstone.examples import ExampleError

    try:
        check_framework("keras", "digits")  # also picks the Keras backend
    except MissingFrameworkError as exc:
        raise ExampleError(str(exc)) from exc
    runs = []
    for number, count in enumerate(epochs, start=1):
        run = run_once(count)
        reused = [name for name, step_run in run.steps.items() if step_run.status == "cached"]
        accuracy = run.steps["evaluator"].output.load()
        print(
            f"Run {number} (epochs={count}): reused {', '.join(reused) or 'nothing'}; "
            f"test accuracy {accuracy:.3f}."
        )
        runs.append(run)
    print("Inspect them with 'stepstone runs list' and 'stepstone runs show latest'.")
    return runs


if __name__ == "__main__":
    from stepstone.examples import ExampleError

    try:
        main()
    except ExampleError as exc:
        raise SystemExit(f"Error: {exc}") from None
