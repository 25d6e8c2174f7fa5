"""Fixtures of the artifact unit tests: a local store, and a registry restored after each test."""

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

SRC = str(Path(stepstone.__file__).resolve().parents[1])


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    """A fresh local artifact store in the test's tmp folder."""
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture(autouse=True)
def restore_registry() -> Iterator[None]:
    """Tests register throwaway materializers; none may leak into the next test.

    The once-per-type pickle warnings are forgotten too, so each test sees its own first one.
    """
    state = _registry.snapshot()
    warned = set(_registry.pickle_warned)
    _registry.pickle_warned.clear()
    yield
    _registry.restore(state)
    _registry.pickle_warned.clear()
    _registry.pickle_warned.update(warned)


@pytest.fixture
def run_python() -> Callable[..., str]:
    """``run_python(code, *argv, hash_seed=...)``: stdout of ``code`` in a fresh interpreter."""
    return _run_python


def _run_python(code: str, *args: str, hash_seed: str = "random") -> str:
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
