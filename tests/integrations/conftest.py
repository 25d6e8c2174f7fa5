"""Fixtures of the integration materializer tests (pandas, polars, sklearn, torch, keras).

Each test module skips itself when its library is not installed (the ``dev`` extra
installs them all). ``same_hash_in_fresh_processes`` is the determinism check every
materializer gets: the same value, built by the same code in two new interpreters with
different hash seeds, must give the same content hash.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from shared_fixtures import run_python

os.environ.setdefault("KERAS_BACKEND", "torch")

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


def last_line_of(code: str, *args: str, hash_seed: str) -> str:
    """The last stdout line of ``code`` in a fresh interpreter that also imports these tests."""
    environment = {"KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    output = run_python(code, *args, hash_seed=hash_seed, path=[HERE], env=environment)
    return output.splitlines()[-1]


@pytest.fixture
def same_hash_in_fresh_processes(tmp_path: Path) -> Callable[[str, str, str], str]:
    """``check(materializer, setup, expression)``: the content hash both processes agree on."""

    def check(materializer: str, setup: str, expression: str) -> str:
        code = SAVE_AND_PRINT.format(setup=setup, expression=expression)
        outputs = {
            last_line_of(code, str(tmp_path / f"store-{seed}"), hash_seed=seed)
            for seed in ("1", "2")
        }
        assert len(outputs) == 1, outputs
        name, content_hash = outputs.pop().split()
        assert name == materializer
        return content_hash

    return check
