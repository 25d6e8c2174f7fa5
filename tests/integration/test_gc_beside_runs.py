"""gc beside running work: a run recording or reusing an artifact mid-sweep keeps it; staging
leftovers of killed writers are reported and removed.

The races are played out in a fixed order: the sweep's own steps are wrapped so a real run
happens at exactly the moment under test (the real stores, the real pipeline).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stepstone import Client, pipeline, step
from stepstone.maintenance import collect_garbage
from stepstone.stores import Stores, get_stores


@step
def produce() -> int:
    return 509


@pipeline
def produced() -> None:
    produce()


def _run_first(original: Callable[..., Any], calls: int = 1) -> Callable[..., Any]:
    """``original``, with a run of ``produced`` just before its ``calls``-th call."""
    seen = [0]

    def wrapped(*args: Any) -> Any:
        seen[0] += 1
        if seen[0] == calls:
            produced()
        return original(*args)

    return wrapped


@pytest.fixture
def stores() -> Stores:
    return get_stores()


def _output_loads(stores: Stores) -> None:
    run = Client().last_run("produced")
    assert run.steps["produce"].output.load() == 509
    assert stores.metadata.lookup_cache([run.steps["produce"].record.cache_key or ""])


def test_a_run_reusing_an_orphan_after_it_was_listed_keeps_it(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The orphan a killed run leaves: exactly the bytes the next run's step produces.
    orphan = stores.artifacts.save(509)
    stores.artifacts.save("another orphan")
    artifacts = stores.artifacts
    # The run goes between gc's listing and its setting the orphan aside.
    monkeypatch.setattr(artifacts, "set_aside", _run_first(artifacts.set_aside))

    report = collect_garbage(stores)

    assert orphan.content_hash in report.kept
    assert orphan.content_hash not in report.content_hashes
    assert len(report.content_hashes) == 1
    _output_loads(stores)


def test_a_run_saving_an_orphan_that_was_set_aside_writes_it_again(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = stores.artifacts.save(509)
    metadata = stores.metadata
    # The run goes after gc set the orphan aside, before it reads the references again.
    monkeypatch.setattr(
        metadata,
        "referenced_content_hashes",
        _run_first(metadata.referenced_content_hashes, calls=2),
    )

    report = collect_garbage(stores)

    assert orphan.content_hash in report.kept
    _output_loads(stores)
    assert not any(Path(stores.artifacts.staging_dir).iterdir())


STUCK_WRITE = """
import os
import signal

from stepstone.artifacts import Materializer
from stepstone.stores import get_stores


class Stuck(Materializer):
    name = "test.stuck"
    handled_types = (bytes,)

    def save(self, value, writer):
        with writer.open("data", "wb") as file:
            file.write(value)  # past the in-memory limit: it is on disk, in staging
            file.flush()
            print("writing", flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)  # alive, mid-write, until killed

    def load(self, reader, type_hint=None):
        raise AssertionError("never loaded")


get_stores().artifacts.save(b"x" * (4 * 2**20), materializer=Stuck)
"""


def test_a_killed_write_is_reported_then_removed_once_its_writer_is_gone(
    stores: Stores, tmp_path: Path
) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(textwrap.dedent(STUCK_WRITE))
    writer = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "writing\n"
        staging = Path(stores.artifacts.staging_dir)
        [entry] = list(staging.iterdir())
        assert entry.name.endswith(f".{writer.pid}@{os.uname().nodename}")

        # Its writer is alive (stopped mid-write): neither reported nor touched.
        assert collect_garbage(stores, dry_run=True).staging_leftovers == 0
        assert collect_garbage(stores).staging_removed == 0
        assert entry.exists()

        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        dry = collect_garbage(stores, dry_run=True)
        assert (dry.staging_leftovers, dry.staging_removed) == (1, None)
        assert dry.staging_bytes >= 4 * 2**20
        assert entry.exists()
        report = collect_garbage(stores)
        assert report.staging_removed == 1
        assert not entry.exists()
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.communicate()
