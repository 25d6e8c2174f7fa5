"""The pickle policy holds for every store a process opens, whenever it opens it."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared_fixtures import SRC
from stepstone import Client, pipeline, step
from stepstone.config import load_settings
from stepstone.exceptions import MaterializerError, PickleFallbackWarning
from stepstone.stores import get_stores


class Opaque:
    """A plain class: no materializer handles it, so it is stored with cloudpickle."""

    def __init__(self, value: int) -> None:
        self.value = value


@step
def opaque() -> Opaque:
    return Opaque(7)


@pipeline
def pickling():
    opaque()


def test_a_strict_client_opened_after_the_default_stores_refuses_pickles() -> None:
    with pytest.warns(PickleFallbackWarning):
        run = pickling()  # opens the default stores, which allow pickle
    assert Client().get_run(run.id).steps["opaque"].output.load().value == 7
    strict = Client(settings=dataclasses.replace(load_settings(), allow_pickle=False))
    assert strict.stores.artifacts.allow_pickle is False
    with pytest.raises(MaterializerError, match="uses pickle"):
        strict.get_run(run.id).steps["opaque"].output.load()
    # The default client is untouched, and both share one metadata connection.
    default = Client()
    assert default.stores.artifacts.allow_pickle is True
    assert default.get_run(run.id).steps["opaque"].output.load().value == 7
    assert default.stores.metadata is strict.stores.metadata


def test_turning_pickle_on_again_is_honoured_too(monkeypatch: pytest.MonkeyPatch) -> None:
    strict = dataclasses.replace(load_settings(), allow_pickle=False)
    assert get_stores(strict).artifacts.allow_pickle is False
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", "1")
    assert get_stores().artifacts.allow_pickle is True
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", "0")
    assert get_stores().artifacts.allow_pickle is False


FLOW = """
import sys
from stepstone import step, pipeline

class Opaque:
    def __init__(self, value):
        self.value = value

@step
def make() -> Opaque:
    return Opaque(40)

@step
def later(thing: Opaque, extra: int) -> int:
    return thing.value + extra

@pipeline
def flow(extra: int = 1):
    later(make(), extra=extra)

if __name__ == "__main__":
    run = flow(extra=int(sys.argv[1]))
    print(run.steps["make"].status, run.steps["later"].output.load())
"""


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.marker.touch, ())


def test_a_tampered_pickle_in_the_store_never_runs_in_a_later_run(
    tmp_path: Path, isolated_home: Path
) -> None:
    """The cached output of ``make`` is replaced by a payload; the next run must not run it."""
    flow = tmp_path / "flow.py"
    flow.write_text(FLOW)
    env = {**os.environ, "PYTHONPATH": SRC, "STEPSTONE_HOME": str(isolated_home)}

    def run(extra: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(flow), str(extra)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = run(1)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "completed 41"
    uri = Client().get_run("latest").steps["make"].output.uri
    marker = tmp_path / "PWNED"
    (Path(uri) / "data.pkl").write_bytes(pickle.dumps(_Payload(marker)))  # manifest kept

    second = run(2)  # `later` executes again and must load `make`'s output
    assert second.returncode == 0, second.stderr
    assert not marker.exists(), "the tampered pickle ran"
    # The damaged copy was found, removed and recomputed: the right answer.
    assert second.stdout.splitlines()[-1] == "completed 42"
    assert "CacheMissWarning" in second.stderr
    assert "damaged" in second.stderr
