"""What the caching example says: banners true to the store, speed-ups, one-line errors.

The runs train scikit-learn for one epoch on a tiny generated IDX set, so they take seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stepstone.examples import ExampleError, run_example

from .test_caching_frameworks import STEPS, TINY, write_tiny_mnist

pytest.importorskip("sklearn")

pytestmark = pytest.mark.slow

RUN_PY = Path(__file__).resolve().parents[2] / "src/stepstone/examples/caching/run.py"


def banners(text: str) -> list[str]:
    """The ``Expected:`` and ``Result:`` lines (the console is wide: nothing wraps)."""
    return [line.strip() for line in text.splitlines() if line.startswith(("Expected:", "Result:"))]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def test_a_second_example_run_expects_and_reports_what_the_store_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(write_tiny_mnist(tmp_path / "idx"))
    first = run_example("caching", framework="sklearn", data=data, configs=TINY)
    first_said = banners(capsys.readouterr().out)
    assert first_said[0] == "Expected: no matching result is stored: every step executes."
    assert first_said[1] == "Result: every step executed."
    assert first_said[-1] == "Result: every step came from the cache."

    again = run_example("caching", framework="sklearn", data=data, configs=TINY)
    said = banners(capsys.readouterr().out)
    assert said[0].startswith("Expected: every step comes from the cache (stored by ")
    assert said[1] == "Result: every step came from the cache."
    assert not any("every step executes" in line for line in said)
    # The speed-up compares with the step runs that executed: all in the first demo's run 1.
    executed = again.executed_seconds()
    for name in STEPS:
        assert executed[name] == first.runs[0].steps[name].duration


def test_fresh_forgets_the_cache_so_run_1_executes_every_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(write_tiny_mnist(tmp_path / "idx"))
    run_example("caching", framework="sklearn", data=data, configs=TINY)
    capsys.readouterr()
    demo = run_example("caching", framework="sklearn", data=data, configs=TINY, fresh=True)
    said = banners(capsys.readouterr().out)
    assert said[0] == "Expected: no matching result is stored: every step executes."
    assert all(step.status == "completed" for step in demo.runs[0].steps.values())
    assert "executed / reused" in demo.table_text()


def test_keras_without_a_backend_asks_for_both_in_one_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stepstone.examples.caching import frameworks

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    missing = {"keras", "tensorflow", "torch", "jax"}
    monkeypatch.setattr(frameworks, "_installed", lambda module: module not in missing)
    with pytest.raises(ExampleError) as info:
        run_example("caching", framework="keras")
    message = str(info.value)
    assert message.count("stepstone integration install") == 1
    assert message.endswith("stepstone integration install keras torch")
    assert "needs a backend" in message
    missing.discard("keras")  # Keras there, no backend: still one command
    with pytest.raises(ExampleError, match=r"install torch$"):
        run_example("caching", framework="keras")


def test_python_run_py_with_a_missing_framework_prints_one_clean_line(tmp_path: Path) -> None:
    # ``python run.py --framework torch`` in a process where torch cannot be imported.
    script = (
        "import runpy, sys\n"
        "sys.modules['torch'] = None\n"
        f"sys.path.insert(0, {str(RUN_PY.parent)!r})\n"
        "sys.argv = ['run.py', '--framework', 'torch']\n"
        f"runpy.run_path({str(RUN_PY)!r}, run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"STEPSTONE_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
        | {k: v for k, v in __import__("os").environ.items() if k == "PYTHONPATH"},
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: Running the example with --framework torch --data digits needs torch, which "
        "is not installed. Install it with: stepstone integration install torch"
    ]


def test_the_closing_note_names_the_dashboard_extra_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stepstone.examples.caching import run

    assert run._dashboard_note() == ""  # installed here (the dev extras)
    monkeypatch.setattr(run, "_installed", lambda module: module != "fastapi")
    assert run._dashboard_note() == " (install it first: stepstone integration install dashboard)"
