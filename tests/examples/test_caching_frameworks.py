"""The caching example with Keras (PyTorch backend) and PyTorch on a small generated IDX set.

Three runs each, judged by the recorded statuses: run 2 reuses importer and normalizer,
run 3 reuses everything; the summary table prints its speed-up column. Training is one
epoch on 120 tiny images, so these tests take seconds, not minutes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from stepstone.examples import ExampleError, run_example
from stepstone.examples.caching.idx import write_idx

os.environ.setdefault("KERAS_BACKEND", "torch")

pytestmark = [
    pytest.mark.slow,
    # Keras 3 on numpy 2 warns inside its own saving code (not ours); see tests/integrations.
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]

STEPS = ["importer", "normalizer", "trainer", "evaluator"]
TINY = [{"epochs": 1, "lr": 1e-3}, {"epochs": 1, "lr": 3e-3}, {"epochs": 1, "lr": 1e-3}]


def write_tiny_mnist(folder: Path, count: int = 120) -> Path:
    """``count`` learnable 8x8 images (brightness tracks the label) as a t10k IDX pair."""
    rng = np.random.default_rng(0)
    labels = (np.arange(count) % 10).astype(np.uint8)
    images = (rng.random((count, 8, 8)) * 40 + labels[:, None, None] * 20).astype(np.uint8)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    return folder


def statuses(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name: step_run.status for name, step_run in run.steps.items()}


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_three_runs_rerun_only_what_changed(tmp_path: Path, framework: str) -> None:
    pytest.importorskip(framework)
    data = write_tiny_mnist(tmp_path / "idx")
    demo = run_example("caching", framework=framework, data=str(data), configs=TINY)
    first, second, third = demo.runs
    assert statuses(first) == dict.fromkeys(STEPS, "completed")
    assert statuses(second) == {
        "importer": "cached",
        "normalizer": "cached",
        "trainer": "completed",
        "evaluator": "completed",
    }
    assert statuses(third) == dict.fromkeys(STEPS, "cached")
    for name in STEPS:
        assert third.steps[name].cached_from == first.steps[name].id
    assert first.parameters["framework"] == framework
    assert 0.0 <= demo.accuracies[0] <= 1.0
    assert demo.accuracies[2] == demo.accuracies[0]
    text = demo.table_text()
    assert "speed-up" in text
    assert "executed / reused" in text
    model = third.steps["trainer"].output.load()
    assert type(model).__module__.startswith("keras" if framework == "keras" else "stepstone")


def test_editing_the_data_reruns_the_importer(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from stepstone.examples.caching.run import mnist_pipeline

    data = write_tiny_mnist(tmp_path / "idx")
    first = mnist_pipeline(epochs=1, framework="torch", data=str(data))
    assert statuses(mnist_pipeline(epochs=1, framework="torch", data=str(data))) == dict.fromkeys(
        STEPS, "cached"
    )
    write_tiny_mnist(data, count=100)
    edited = mnist_pipeline(epochs=1, framework="torch", data=str(data))
    assert edited.steps["importer"].status == "completed"
    assert edited.steps["importer"].cache_key != first.steps["importer"].cache_key


def test_a_missing_framework_names_the_integration_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stepstone.examples.caching import frameworks

    monkeypatch.setattr(frameworks, "_installed", lambda module: module != "keras")
    with pytest.raises(ExampleError, match="stepstone integration install keras"):
        run_example("caching", framework="keras")


def test_an_unknown_framework_or_data_source_is_refused_before_any_run() -> None:
    with pytest.raises(ExampleError, match="choose one of sklearn, keras, torch"):
        run_example("caching", framework="jax")
    with pytest.raises(ExampleError, match="Unknown data source"):
        run_example("caching", data="/no/such/folder")
