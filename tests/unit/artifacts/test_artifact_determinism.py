"""The same value gives the same content hash in every process (per materializer).

Each value is saved in fresh interpreters with different hash seeds (set and dict order
depend on them) and in this process; all hashes must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stepstone.artifacts import ArtifactStore

SAVE_AND_PRINT = """
import sys, warnings
warnings.simplefilter("error")
from stepstone.artifacts import ArtifactStore
SETUP
stored = ArtifactStore(sys.argv[1]).save(EXPRESSION, materializer=MATERIALIZER)
print(stored.materializer, stored.content_hash)
"""

NUMPY = "import numpy as np"
STDLIB = "import fractions, datetime, functools"
RECORDS = """
import dataclasses, datetime, pydantic
@dataclasses.dataclass
class Config:
    lr: float
    tags: frozenset[str]
    when: datetime.date
class Metrics(pydantic.BaseModel):
    scores: dict[str, float]
    config: Config
"""
PATHS = """
import pathlib, tempfile
folder = pathlib.Path(tempfile.mkdtemp()) / "checkpoint"
(folder / "sub").mkdir(parents=True)
(folder / "b.txt").write_text("bee")
(folder / "sub" / "a.bin").write_bytes(bytes(range(256)) * 100)
"""
CASES = [
    (
        "builtins.json",
        "",
        "{'names': {'alice', 'bob', 'carol', 'dave'}, (1, 'x'): frozenset({'p', 'q', 2.5}),"
        " 'nested': [{'b': b'bytes', 'a': None}, float('nan'), -0.0, 10**700]}",
    ),
    ("numpy.npy", NUMPY, "np.arange(12.0).reshape(3, 4).T"),
    ("numpy.npy", NUMPY, "np.float32(1.5)"),
    ("numpy.npy", NUMPY, "np.array([(1, b'ab')], dtype=[('n', '<i8'), ('s', 'S2')])"),
    ("numpy.npz", NUMPY, "{'y': np.arange(5), 'X': np.ones((3, 2), dtype=np.float32)}"),
    ("numpy.npz", NUMPY, "(np.arange(3), np.array(['a', 'bc']))"),
    (
        "dataclass.json",
        RECORDS,
        "Config(0.1, frozenset({'x', 'y', 'z', 'w'}), datetime.date(2024, 2, 29))",
    ),
    (
        "pydantic.json",
        RECORDS,
        "Metrics(scores={'b': 1.0, 'a': 0.5}, config=Config(0.1, frozenset({'q', 'p'}),"
        " datetime.date(2024, 1, 1)))",
    ),
    ("pathlib.path", PATHS, "folder"),
    (
        "cloudpickle",
        STDLIB,
        "{'f': fractions.Fraction(1, 3), 'd': datetime.date(2024, 2, 29), 'fn': functools.reduce}",
    ),
    ("cloudpickle", STDLIB, "lambda x, y=2: x * y"),
]


def _code(materializer: str, setup: str, expression: str) -> str:
    return (
        SAVE_AND_PRINT.replace("SETUP", setup)
        .replace("EXPRESSION", expression)
        .replace("MATERIALIZER", repr(materializer))
    )


@pytest.mark.slow
@pytest.mark.parametrize(("materializer", "setup", "expression"), CASES)
def test_same_hash_in_every_process(
    tmp_path: Path,
    run_python: Callable[..., str],
    materializer: str,
    setup: str,
    expression: str,
) -> None:
    code = _code(materializer, setup, expression)
    outputs = {
        run_python(code, str(tmp_path / f"store-{seed}"), hash_seed=seed) for seed in ("1", "2")
    }
    assert len(outputs) == 1, outputs
    name, content_hash = outputs.pop().split()
    assert name == materializer
    if "lambda" in expression or "class " in setup:
        # Pickled by value with its line number, or a class that only `python -c` can
        # import back as __main__.X: only the fresh interpreters compare.
        return
    # This process agrees (its store shares nothing with theirs).
    namespace: dict[str, object] = {"__name__": "__main__"}  # as in `python -c`
    exec(setup, namespace)
    value = eval(expression, namespace)
    here = ArtifactStore(tmp_path / "here")
    assert here.save(value, materializer=materializer).content_hash == content_hash


@pytest.mark.slow
def test_pickles_of_classes_defined_by_value_are_not_deterministic(
    tmp_path: Path, run_python: Callable[..., str]
) -> None:
    """Documents a limit: cloudpickle tags each class it pickles by value with a random id."""
    code = _code("cloudpickle", "class Local:\n    pass", "Local()")
    hashes = {run_python(code, str(tmp_path / str(i))) for i in range(2)}
    assert len(hashes) == 2
