"""Fixtures of the integration materializer tests (pandas, polars, sklearn, torch, keras).

Each test module skips itself when its library is not installed (the ``dev`` extra
installs them all). ``same_hash_in_fresh_processes`` is the determinism check every
materializer gets: the same value, built by the same code in two new interpreters with
different hash seeds, must give the same content hash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import stepstone
from stepstone.artifacts import ArtifactStore
from stepstone.artifacts.registry import _registry

os.environ.setdefault("KERAS_BACKEND", "torch")

SRC = str(Path(stepstone.__file__).resolve().parents[1])
HERE = str(Path(__file__).resolve().parent)

SAVE_AND_PRINT = """
import sys, warnings
warnings.simplefilter("error")
warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
from stepstone.artifacts import ArtifactStore
{setup}
stored = ArtifactStore(sys.argv[1]).save({expression})
print(stored.materializer, stored.content_hash)
"""


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(autouse=True)
def restore_registry() -> Iterator[None]:
    state = _registry.snapshot()
    warned = set(_registry.pickle_warned)
    _registry.pickle_warned.clear()
    yield
    _registry.restore(state)
    _registry.pickle_warned.clear()
    _registry.pickle_warned.update(warned)


def run_python(code: str, *args: str, hash_seed: str = "random") -> str:
    """Stdout of ``code`` in a fresh interpreter that can import stepstone and these tests."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([SRC, HERE]),
        "PYTHONHASHSEED": hash_seed,
        "KERAS_BACKEND": "torch",
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def same_hash_in_fresh_processes(tmp_path: Path) -> Callable[[str, str, str], str]:
    """``check(materializer, setup, expression)``: the content hash both processes agree on."""

    def check(materializer: str, setup: str, expression: str) -> str:
        code = SAVE_AND_PRINT.format(setup=setup, expression=expression)
        outputs = {
            run_python(code, str(tmp_path / f"store-{seed}"), hash_seed=seed) for seed in ("1", "2")
        }
        assert len(outputs) == 1, outputs
        name, content_hash = outputs.pop().split()
        assert name == materializer
        return content_hash

    return check
