"""A fully cached rerun never imports a library just to learn that it is one.

The steps import scikit-learn inside their bodies, as the caching example's pulled copy does.
The first run executes them; a second run, in a fresh interpreter, finds every step cached.
Deciding that ``sklearn.datasets`` is library code (and its version) must not import it:
that alone cost about 2 s of a 3 s rerun.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

pytestmark = pytest.mark.slow

DIGITS = """
from typing import Annotated, Any

import numpy as np

from stepstone import pipeline, step


@step
def importer() -> tuple[Annotated[np.ndarray, "X"], Annotated[np.ndarray, "y"]]:
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    return images[:400], labels[:400]


@step
def normalizer(X: np.ndarray) -> np.ndarray:
    return X / 16.0


@step
def trainer(X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=300).fit(X, y)


@step
def evaluator(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(X, y))


@pipeline
def digits():
    X, y = importer()
    normed = normalizer(X)
    model = trainer(normed, y)
    evaluator(model, normed, y)
"""

RUN = """
import json
import sys

from digits import digits

run = digits()
print("RESULT " + json.dumps({
    "statuses": {name: s.status for name, s in run.steps.items()},
    "sklearn": sorted(m for m in sys.modules if m.split(".")[0] == "sklearn")[:5],
}))
"""


def run(project: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTONE_")}
    env.update(STEPSTONE_HOME=str(home), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    completed = subprocess.run(
        [sys.executable, "run.py"], cwd=project, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_a_cached_rerun_does_not_import_scikit_learn(tmp_path: Path) -> None:
    (tmp_path / "digits.py").write_text(textwrap.dedent(DIGITS))
    (tmp_path / "run.py").write_text(textwrap.dedent(RUN))
    first = run(tmp_path, tmp_path / "home")
    assert set(first["statuses"].values()) == {"completed"}
    assert first["sklearn"]  # the steps ran, so scikit-learn was imported by them

    second = run(tmp_path, tmp_path / "home")
    assert set(second["statuses"].values()) == {"cached"}
    assert second["sklearn"] == []
