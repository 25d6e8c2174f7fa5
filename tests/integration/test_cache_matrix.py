"""The cache-correctness matrix: edit a small project between two runs in fresh processes.

Each row copies the project into a fresh directory with a fresh store, runs the pipeline in
a new interpreter, applies one edit, runs it again in another new interpreter, and checks
which steps ran, which were reused, and that the explanation names what changed.
"""

from __future__ import annotations

import json
import os
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


def run_project(project: Path, home: Path, extra_env: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTONE_")}
    env.update(STEPSTONE_HOME=str(home), PYTHONDONTWRITEBYTECODE="1", **extra_env)
    completed = subprocess.run(
        [sys.executable, "run.py"],
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
