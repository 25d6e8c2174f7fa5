"""Steps, helpers and pipelines typed into notebook cells cache by the code the kernel runs.

Every test drives real ipykernel processes through nbclient against one stepstone home, edits
cells between executions as a user does, and asserts which steps ran and what they returned.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared_fixtures import SRC

from .kernels import Kernel, start_kernel

pytestmark = pytest.mark.slow  # starts kernel processes

SETUP = "import json\nfrom stepstone import pipeline, step\n"
HELPER = "def scale(x):\n    return x * 2\n"
STEPS = """
@step
def load() -> list[int]:
    return [1, 2, 3]


@step
def transform(xs: list[int]) -> list[int]:
    return [scale(x) for x in xs]


@step
def total(xs: list[int]) -> int:
    return sum(xs)


@pipeline
def flow():
    total(transform(load()))
"""
RUN = """
run = flow()
print(json.dumps({
    "ran": sorted(n for n, s in run.steps.items() if s.status == "completed"),
    "total": run.steps["total"].output.load(),
}))
"""
ALL = ["load", "total", "transform"]


def ran(kernel: Kernel, index: int | None = None) -> dict[str, object]:
    result = kernel.run(RUN) if index is None else kernel.rerun(index)
    return result.value()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_edits_rerun_only_what_the_executed_code_changes(tmp_path: Path, home: Path) -> None:
    with start_kernel(home, tmp_path) as kernel:
        for source in (SETUP, HELPER, STEPS):
            assert kernel.run(source).error is None
        assert ran(kernel) == {"ran": ALL, "total": 12}
        assert ran(kernel, 3) == {"ran": [], "total": 12}

        # The helper's cell executed again unchanged, then with a comment added: same code.
        assert kernel.rerun(1).error is None
        assert ran(kernel, 3) == {"ran": [], "total": 12}
        commented = "# doubles\ndef scale(x):\n    return x * 2  # twice\n"
        assert kernel.rerun(1, commented).error is None
        assert ran(kernel, 3) == {"ran": [], "total": 12}

        # Typed in the editor but not executed: the kernel still runs the old helper.
        kernel.edit(1, "def scale(x):\n    return x * 3\n")
        assert ran(kernel, 3) == {"ran": [], "total": 12}

        # Executed: the step calling it reruns (its own cell was not touched), then its
        # consumer, whose input changed; the loader stays cached.
        assert kernel.rerun(1).error is None
        assert ran(kernel, 3) == {"ran": ["total", "transform"], "total": 18}

        # A constant a cell rebinds counts like a helper.
        kernel.run("OFFSET = 1")
        kernel.rerun(1, "def scale(x):\n    return x * 3 + OFFSET\n")
        assert ran(kernel, 3) == {"ran": ["total", "transform"], "total": 21}
        kernel.rerun(4, "OFFSET = 2")
        assert ran(kernel, 3) == {"ran": ["total", "transform"], "total": 24}


def test_fresh_kernels_share_the_store_whatever_the_cell_numbers(
    tmp_path: Path, home: Path
) -> None:
    with start_kernel(home, tmp_path) as kernel:
        for source in (SETUP, HELPER, STEPS):
            kernel.run(source)
        assert ran(kernel) == {"ran": ALL, "total": 12}
    with start_kernel(home, tmp_path) as kernel:
        # Other execution counts, other cell order, a class and history in the namespace.
        kernel.run("1 + 1")
        kernel.run("print('warming up')")
        for source in (SETUP, STEPS, HELPER):
            kernel.run(source)
        assert ran(kernel) == {"ran": [], "total": 12}


CLASS_STEPS = """
import json
from stepstone import pipeline, step


class Scaler:
    def apply(self, x):
        return x * 2


@step
def scaled() -> int:
    return Scaler().apply(5)


@pipeline
def classy():
    scaled()
"""
CLASS_RUN = """
run = classy()
print(json.dumps([run.steps["scaled"].status, run.steps["scaled"].output.load()]))
"""


def test_a_class_defined_in_a_cell_is_part_of_the_key(tmp_path: Path, home: Path) -> None:
    with start_kernel(home, tmp_path) as kernel:
        kernel.run(CLASS_STEPS)
        assert kernel.run(CLASS_RUN).value() == ["completed", 10]
        assert kernel.rerun(1).value() == ["cached", 10]
        kernel.run("class Scaler:\n    def apply(self, x):\n        return x * 4\n")
        assert kernel.rerun(1).value() == ["completed", 20]


MODULE = SETUP + HELPER + STEPS


def test_a_notebook_and_a_module_with_the_same_code_share_entries(
    tmp_path: Path, home: Path
) -> None:
    # The module: flow.py, run as a script.
    (tmp_path / "flow.py").write_text(MODULE + "\nif __name__ == '__main__':\n    flow()\n")
    env = {"PYTHONPATH": SRC, "STEPSTONE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "flow.py"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    # The notebook flow.ipynb, its cells holding the same code.
    with start_kernel(home, tmp_path, notebook="flow.ipynb") as kernel:
        for source in (SETUP, HELPER, STEPS):
            kernel.run(source)
        assert ran(kernel) == {"ran": [], "total": 12}
        # Explanations name the notebook, never the kernel's temporary cell files.
        kernel.run(HELPER.replace("x * 2", "x * 4"))
        kernel.run(RUN)
        why = kernel.run("print(json.dumps(str(run.steps['transform'].explain())))").value()
        assert "code changed: flow.scale (flow.ipynb)" in why
        assert "ipykernel" not in why
    # Another notebook name names the objects otherwise: its steps run.
    with start_kernel(home, tmp_path, notebook="other.ipynb") as kernel:
        for source in (SETUP, HELPER, STEPS):
            kernel.run(source)
        assert ran(kernel)["ran"] == ALL


def test_a_module_edited_on_disk_but_not_reloaded_never_serves_its_new_text(
    tmp_path: Path, home: Path
) -> None:
    (tmp_path / "helpers.py").write_text("def scale(x):\n    return x * 2\n")
    cells = (SETUP + "from helpers import scale\n", STEPS)
    with start_kernel(home, tmp_path) as kernel:
        for source in cells:
            kernel.run(source)
        # Edited after the import: the kernel still runs x * 2.
        (tmp_path / "helpers.py").write_text("def scale(x):\n    return x * 5\n")
        assert ran(kernel) == {"ran": ALL, "total": 12}
    with start_kernel(home, tmp_path) as kernel:
        for source in cells:
            kernel.run(source)
        # x * 5 is loaded now: the result the old code made under its own key is not reused.
        assert ran(kernel) == {"ran": ["total", "transform"], "total": 30}


def test_a_name_the_kernel_lacks_is_named_before_anything_runs(tmp_path: Path, home: Path) -> None:
    with start_kernel(home, tmp_path) as kernel:
        kernel.run(SETUP)
        # The helper's cell was never run.
        kernel.run(STEPS)
        result = kernel.run(RUN)
        assert result.error is not None
        assert result.error["ename"] == "StepDefinitionError"
        assert "Step 'transform'" in result.error["evalue"]
        assert "`transform` (defined in a notebook cell) uses `scale`" in result.error["evalue"]
        # Run it, then delete it.
        kernel.run(HELPER)
        assert ran(kernel)["total"] == 12
        kernel.run("del scale")
        error = kernel.run(RUN).error
        assert error is not None and "uses `scale`, which is not defined" in error["evalue"]


def test_an_annotation_the_kernel_lacks_is_no_error(tmp_path: Path, home: Path) -> None:
    # Postponed annotations are never evaluated: naming a class only a type checker knows
    # is fine, unlike a name the code loads when it runs.
    with start_kernel(home, tmp_path) as kernel:
        kernel.run("from __future__ import annotations\n" + SETUP)
        kernel.run(
            "@step\ndef typed(x: int = 1) -> int:\n    scaled: Model = x\n    return scaled\n\n"
            "@pipeline\ndef annotated():\n    typed()\n"
        )
        result = kernel.run("print(json.dumps(annotated().steps['typed'].status))")
        assert result.value() == "completed"


def test_a_step_whose_cell_was_never_run_is_named(tmp_path: Path, home: Path) -> None:
    with start_kernel(home, tmp_path) as kernel:
        kernel.run(SETUP)
        kernel.run(
            textwrap.dedent(
                """
                @pipeline
                def lonely():
                    featurize()
                """
            )
        )
        error = kernel.run("lonely()").error
        assert error is not None
        assert error["ename"] == "PipelineDefinitionError"
        assert "`featurize` is not defined" in error["evalue"]
        assert "run the cell that defines it first" in error["evalue"]


def test_an_unpicklable_notebook_object_as_a_parameter_names_the_step(
    tmp_path: Path, home: Path
) -> None:
    source = """
import threading

class Holder:
    def __init__(self):
        self.lock = threading.Lock()

@step
def use(holder: object) -> int:
    return 1

@pipeline
def holding():
    use(Holder())
"""
    with start_kernel(home, tmp_path) as kernel:
        kernel.run(SETUP)
        kernel.run(source)
        error = kernel.run("holding()").error
        assert error is not None
        assert error["ename"] == "StepDefinitionError"
        assert "Step 'use'" in error["evalue"]
        assert "parameter 'holder'" in error["evalue"]
        assert "Holder" in error["evalue"]


LIBRARY_STEP = """
import json
import numpy as np
from stepstone import pipeline, step


@step
def grow() -> float:
    return float(np.exp(1.0))


@pipeline
def growing():
    grow()
"""
GROW = "print(json.dumps(growing().steps['grow'].status))"


def test_new_variables_in_the_kernel_leave_library_calls_cached(tmp_path: Path, home: Path) -> None:
    # np.exp is a ufunc, which has no stable description: its library's version covers it,
    # so defining more variables (a run, data) in later cells changes no key.
    with start_kernel(home, tmp_path) as kernel:
        kernel.run(LIBRARY_STEP)
        assert kernel.run(GROW).value() == "completed"
        kernel.run("data = list(range(10))\nlast = growing()")
        assert kernel.run(GROW).value() == "cached"
