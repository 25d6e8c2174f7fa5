"""The cache-correctness matrix: edit a small project between two runs in fresh processes.

Each row copies the project into a fresh directory with a fresh store, runs the pipeline in
a new interpreter, applies one edit, runs it again in another new interpreter, and checks
which steps ran, which were reused, and that the explanation names what changed. A second
project holds the patterns where code is reached through values (a dispatch dict, a tuple of
functions, ``numpy.vectorize``, a decorated helper, a bound method, an instance holding a
function, a registry, ``importlib.import_module``) and parameters that compare equal but
behave differently; its rows also check the values the rerun steps return.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FEATURES = """
SCALE = 2.0


def scale(values):
    return [v * SCALE for v in values]


def unrelated():
    return 1


class Normalizer:
    offset = 0.0

    def apply(self, values):
        return [v - self.offset for v in values]
"""

STEPS = '''
import os
from datetime import timedelta
from pathlib import Path

import features
from features import Normalizer, scale
from stepstone import pipeline, step

THRESHOLD = 10


def local_helper(values):
    return [v + 0 for v in values]


def make_multiplier(k):
    def multiply(values):
        return [v * k for v in values]

    return multiply


multiplier = make_multiplier(1)


@step(enable_cache=False)
def load() -> list:
    return [1.0, 2.0, 3.0]


@step
def prepare(data: list) -> list:
    """Scale the data."""
    return scale(local_helper(data))


@step
def transform(data: list) -> list:
    return Normalizer().apply(data)


@step
def clip(data: list, limit: int = 3) -> list:
    return [min(v, THRESHOLD) for v in multiplier(data)][:limit]


@step(cache_depends_on=["input.txt"])
def read_file() -> str:
    return Path("input.txt").read_text()


@step(cache_version=1)
def versioned(data: list) -> int:
    return len(data)


@step(cache_expires_after=timedelta(seconds=float(os.environ.get("MATRIX_EXPIRY", "3600"))))
def expiring(data: list) -> int:
    return sum(1 for _ in data)


@pipeline
def matrix(limit: int = 3):
    data = load()
    prepare(data)
    transform(data)
    clip(data, limit=limit)
    read_file()
    versioned(data)
    expiring(data)
'''

RUN = """
import json
import os

from steps import matrix

run = matrix(limit=int(os.environ.get("MATRIX_LIMIT", "3")))
result = {
    "statuses": {name: s.status for name, s in run.steps.items()},
    "explain": {name: str(s.explain()) for name, s in run.steps.items()},
}
print("RESULT " + json.dumps(result))
"""

STEP_NAMES = {"load", "prepare", "transform", "clip", "read_file", "versioned", "expiring"}


def replace_in(file: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new))

    return edit


@dataclass(frozen=True)
class Row:
    name: str
    edit: Callable[[Path], None]
    reran: set[str]
    because: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def no_edit(project: Path) -> None:
    return None


def wait_for_expiry(project: Path) -> None:
    time.sleep(0.6)  # the second run allows results 0.5 s old (MATRIX_EXPIRY)


ROWS = [
    Row("unchanged project: producer reruns with identical output", no_edit, set()),
    Row(
        "comment, docstring and whitespace edit",
        replace_in(
            "steps.py",
            '    """Scale the data."""\n    return scale(local_helper(data))',
            '    """Scale the data, now documented better."""\n    # a comment\n\n'
            "    return scale( local_helper(data) )",
        ),
        set(),
    ),
    Row(
        "helper body edit in the same module",
        replace_in("steps.py", "[v + 0 for v in values]", "[v + 0.0 for v in values]"),
        {"prepare"},
        {"prepare": "code changed: steps.local_helper (steps.py)"},
    ),
    Row(
        "helper body edit in another module",
        replace_in("features.py", "[v * SCALE for v in values]", "[SCALE * v for v in values]"),
        {"prepare"},
        {"prepare": "code changed: features.scale (features.py)"},
    ),
    Row(
        "constant edit",
        replace_in("steps.py", "THRESHOLD = 10", "THRESHOLD = 11"),
        {"clip"},
        {"clip": "code changed: steps.THRESHOLD"},
    ),
    Row(
        "method edit of a used class",
        replace_in("features.py", "return [v - self.offset", "return [v + -self.offset"),
        {"transform"},
        {"transform": "code changed: features.Normalizer (features.py)"},
    ),
    Row(
        "closure value change",
        replace_in(
            "steps.py", "multiplier = make_multiplier(1)", "multiplier = make_multiplier(1.0)"
        ),
        {"clip"},
        {"clip": "code changed: steps.multiplier<closure k>"},
    ),
    Row(
        "default argument change",
        replace_in(
            "steps.py",
            "def clip(data: list, limit: int = 3)",
            "def clip(data: list, limit: int = 4)",
        ),
        {"clip"},
        {"clip": "code changed: steps.clip (steps.py)"},
    ),
    Row(
        "unrelated function edit in the same module",
        replace_in("features.py", "return 1", "return 2"),
        set(),
    ),
    Row(
        "parameter change",
        no_edit,
        {"clip"},
        {"clip": "parameter limit: 3 → 2"},
        env={"MATRIX_LIMIT": "2"},
    ),
    Row(
        "declared file changed",
        replace_in("input.txt", "first", "second"),
        {"read_file"},
        {"read_file": "declared file input.txt changed"},
    ),
    Row(
        "cache_version bump",
        replace_in("steps.py", "@step(cache_version=1)", "@step(cache_version=2)"),
        {"versioned"},
        {"versioned": "cache_version: 1 → 2"},
    ),
    Row(
        "expiry passed",
        wait_for_expiry,
        {"expiring"},
        {"expiring": "cached result expired"},
        env={"MATRIX_EXPIRY": "0.5"},
    ),
]


def write_project(root: Path) -> Path:
    project = root / "project"
    project.mkdir()
    (project / "features.py").write_text(textwrap.dedent(FEATURES))
    (project / "steps.py").write_text(textwrap.dedent(STEPS))
    (project / "run.py").write_text(textwrap.dedent(RUN))
    (project / "input.txt").write_text("first version of the data\n")
    return project


def run_project(
    project: Path, home: Path, extra_env: dict[str, str], script: str = "run.py"
) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTONE_")}
    env.update(STEPSTONE_HOME=str(home), PYTHONDONTWRITEBYTECODE="1", **extra_env)
    completed = subprocess.run(
        [sys.executable, script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_edit_between_runs(row: Row, tmp_path: Path) -> None:
    project = write_project(tmp_path)
    home = tmp_path / "home"
    first = run_project(project, home, {})
    assert set(first["statuses"].values()) == {"completed"}

    row.edit(project)
    second = run_project(project, home, row.env)

    ran = {name for name, status in second["statuses"].items() if status == "completed"}
    cached = {name for name, status in second["statuses"].items() if status == "cached"}
    assert ran == {"load"} | row.reran, second["explain"]
    assert cached == STEP_NAMES - {"load"} - row.reran
    for step_name, sentence in row.because.items():
        assert sentence in second["explain"][step_name], second["explain"][step_name]
    assert "cache disabled for this step" in second["explain"]["load"]


PATTERNS = """
import decimal
import functools
import importlib
import math
import os

import numpy as np

import locked
from stepstone import pipeline, step


def scale_by_two(x):
    return x * 2


def add_one(x):
    return x + 1


def halve(x):
    return x / 2


def square(x):
    return x * x


def negate(x):
    return -x


def unrelated(x):
    return x


OPS = {"scale": scale_by_two}
UNUSED_OPS = {"same": unrelated}
CHAIN = (add_one, halve)
VECTORIZED = np.vectorize(square)


@functools.lru_cache(maxsize=None)
def cached_increment(x):
    return x + 1


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def apply(self, x):
        return x * self.factor


class Holder:
    def __init__(self, hook):
        self.hook = hook


BOUND = Scaler(3).apply
HOLDER = Holder(negate)
REGISTRY = {}


def register(function):
    REGISTRY[function.__name__] = function
    return function


@register
def registered(x):
    return x + 10


@step
def dispatch(x: float) -> float:
    return OPS["scale"](x)


@step
def chain(x: float) -> float:
    for function in CHAIN:
        x = function(x)
    return x


@step
def vectorized(x: float) -> float:
    return float(VECTORIZED(x))


@step
def decorated(x: float) -> float:
    return cached_increment(x)


@step
def bound(x: float) -> float:
    return BOUND(x)


@step
def holder(x: float) -> float:
    return HOLDER.hook(x)


@step
def registry(x: float) -> float:
    return REGISTRY["registered"](x)


@step
def plugin(x: float) -> float:
    return importlib.import_module("plugin").run(x)


@step
def guarded(x: float) -> float:
    return locked.guarded(x)


@step
def sign(zero: float) -> float:
    return math.copysign(1.0, zero)


@step
def digits(amount: decimal.Decimal) -> str:
    return str(amount)


@pipeline
def patterns(zero: float = 0.0, amount: decimal.Decimal = decimal.Decimal("1.0")):
    x = 2.0
    dispatch(x)
    chain(x)
    vectorized(x)
    decorated(x)
    bound(x)
    holder(x)
    registry(x)
    plugin(x)
    guarded(x)
    sign(zero)
    digits(amount)
"""

PLUGIN = """
def run(x):
    return x + 100
"""

LOCKED = """
import threading

LOCK = threading.Lock()


def guarded(x):
    with LOCK:
        return x + 1


def unrelated():
    return 1
"""

RUN_PATTERNS = """
import decimal
import json
import os

from patterns import patterns

run = patterns(
    zero=float(os.environ.get("PATTERN_ZERO", "0.0")),
    amount=decimal.Decimal(os.environ.get("PATTERN_AMOUNT", "1.0")),
)
result = {
    "statuses": {name: s.status for name, s in run.steps.items()},
    "explain": {name: str(s.explain()) for name, s in run.steps.items()},
    "outputs": {name: s.output.load() for name, s in run.steps.items()},
}
print("RESULT " + json.dumps(result))
"""

PATTERN_STEPS = {
    "dispatch",
    "chain",
    "vectorized",
    "decorated",
    "bound",
    "holder",
    "registry",
    "plugin",
    "guarded",
    "sign",
    "digits",
}


@dataclass(frozen=True)
class PatternRow:
    name: str
    edit: Callable[[Path], None]
    outputs: dict[str, object]
    because: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


PATTERN_ROWS = [
    PatternRow(
        "function in a dispatch dict",
        replace_in("patterns.py", "return x * 2", "return x * 5"),
        {"dispatch": 10.0},
        {"dispatch": "code changed: patterns.scale_by_two (patterns.py)"},
    ),
    PatternRow(
        "function in a tuple of functions",
        replace_in("patterns.py", "return x / 2", "return x / 4"),
        {"chain": 0.75},
        {"chain": "code changed: patterns.halve (patterns.py)"},
    ),
    PatternRow(
        "order of a tuple of functions",
        replace_in("patterns.py", "CHAIN = (add_one, halve)", "CHAIN = (halve, add_one)"),
        {"chain": 2.0},
        {"chain": "code changed: patterns.CHAIN"},
    ),
    PatternRow(
        "function behind numpy.vectorize",
        replace_in("patterns.py", "return x * x", "return x * x * x"),
        {"vectorized": 8.0},
        {"vectorized": "code changed: patterns.square (patterns.py)"},
    ),
    PatternRow(
        "function behind a decorator (__wrapped__)",
        replace_in("patterns.py", "return x + 1\n\n\nclass", "return x + 2\n\n\nclass"),
        {"decorated": 4.0},
        {"decorated": "code changed: patterns.cached_increment (patterns.py)"},
    ),
    PatternRow(
        "state of a bound method's instance",
        replace_in("patterns.py", "BOUND = Scaler(3).apply", "BOUND = Scaler(4).apply"),
        {"bound": 8.0},
        {"bound": "code changed: patterns.BOUND"},
    ),
    PatternRow(
        "method behind a bound method",
        replace_in("patterns.py", "return x * self.factor", "return x * self.factor + 1"),
        {"bound": 7.0},
        {"bound": "code changed: patterns.Scaler (patterns.py)"},
    ),
    PatternRow(
        "function an instance holds",
        replace_in("patterns.py", "return -x", "return -x - 1"),
        {"holder": -3.0},
        {"holder": "code changed: patterns.negate (patterns.py)"},
    ),
    PatternRow(
        "function in a registry a decorator fills",
        replace_in("patterns.py", "return x + 10", "return x + 20"),
        {"registry": 22.0},
        {"registry": "code changed: patterns.registered (patterns.py)"},
    ),
    PatternRow(
        "module loaded with importlib.import_module('plugin')",
        replace_in("plugin.py", "return x + 100", "return x + 200"),
        {"plugin": 202.0},
        {"plugin": "code changed: plugin (plugin.py)"},
    ),
    PatternRow(
        "a module counted whole because of a lock says why",
        replace_in("locked.py", "return 1", "return 2"),
        {"guarded": 3.0},
        {"guarded": "value `LOCK` in `locked.py` could not be hashed; its module is included"},
    ),
    PatternRow(
        "-0.0 after 0.0",
        no_edit,
        {"sign": -1.0},
        {"sign": "parameter zero changed"},
        env={"PATTERN_ZERO": "-0.0"},
    ),
    PatternRow(
        "Decimal('1.00') after Decimal('1.0')",
        no_edit,
        {"digits": "1.00"},
        {"digits": "parameter amount"},
        env={"PATTERN_AMOUNT": "1.00"},
    ),
    PatternRow(
        "edit of an unused function",
        replace_in("patterns.py", "unrelated(x):\n    return x", "unrelated(x):\n    return 0"),
        {},
    ),
    PatternRow(
        "edit of a function in a dict no step uses",
        replace_in("patterns.py", '{"same": unrelated}', '{"same": negate}'),
        {},
    ),
    PatternRow(
        "edit of a module nothing imports",
        replace_in("unused.py", "return 1", "return 2"),
        {},
    ),
]


def write_patterns(root: Path) -> Path:
    project = root / "patterns"
    project.mkdir()
    for name, source in {
        "patterns.py": PATTERNS,
        "plugin.py": PLUGIN,
        "locked.py": LOCKED,
        "unused.py": "def unused():\n    return 1\n",
        "run.py": RUN_PATTERNS,
    }.items():
        (project / name).write_text(textwrap.dedent(source))
    return project


FIRST_OUTPUTS = {
    "dispatch": 4.0,
    "chain": 1.5,
    "vectorized": 4.0,
    "decorated": 3.0,
    "bound": 6.0,
    "holder": -2.0,
    "registry": 12.0,
    "plugin": 102.0,
    "guarded": 3.0,
    "sign": 1.0,
    "digits": "1.0",
}


@pytest.mark.parametrize("row", PATTERN_ROWS, ids=[row.name for row in PATTERN_ROWS])
def test_code_reached_through_values(row: PatternRow, tmp_path: Path) -> None:
    project = write_patterns(tmp_path)
    home = tmp_path / "home"
    first = run_project(project, home, {})
    assert first["outputs"] == FIRST_OUTPUTS

    row.edit(project)
    second = run_project(project, home, row.env)

    ran = {name for name, status in second["statuses"].items() if status == "completed"}
    assert ran == set(row.outputs), second["explain"]
    assert second["outputs"] == {**FIRST_OUTPUTS, **row.outputs}
    for step_name, sentence in row.because.items():
        assert sentence in second["explain"][step_name], second["explain"][step_name]


def test_a_moved_checkout_keeps_its_keys(tmp_path: Path) -> None:
    """No path, line number or address in a key: a copy elsewhere reuses every result."""
    project = write_patterns(tmp_path)
    home = tmp_path / "home"
    first = run_project(project, home, {})
    assert set(first["statuses"].values()) == {"completed"}
    moved = tmp_path / "elsewhere" / "deeper" / "patterns"
    shutil.copytree(project, moved)
    (moved / "patterns.py").write_text("\n\n\n" + (moved / "patterns.py").read_text())
    second = run_project(moved, home, {"PYTHONHASHSEED": "12345"})
    assert set(second["statuses"].values()) == {"cached"}, second["explain"]
    assert second["outputs"] == FIRST_OUTPUTS
