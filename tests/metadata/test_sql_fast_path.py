"""The paths that avoid SQLAlchemy and Alembic: up-to-date stores open without them, and a
lookup of many keys is one statement on the driver connection.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from contracts.metadata_factories import (
    executed,
    key,
    make_artifact,
    make_step,
    started,
)
from stepstone.metadata import (
    MetadataStore,
    StepRunWrite,
    open_metadata_store,
)


def test_lookup_of_many_keys_is_one_query(
    metadata_store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = started(metadata_store)
    writes = [executed(run, f"s_{i}", i, cache=key(f"k{i}")) for i in range(3)]
    two_outputs = make_step(
        run,
        "split",
        3,
        cache_key=key("split"),
        outputs={"train": make_artifact(None, label="t"), "test": make_artifact(None, label="v")},
    )
    writes.append(StepRunWrite(two_outputs, tuple(two_outputs.outputs.values()), cache_entry=True))
    metadata_store.record_step_runs(writes)
    hot = metadata_store._hot  # type: ignore[attr-defined]
    calls: list[str] = []
    original = hot.query

    def counting(action: str, statement: str, params: object) -> object:
        calls.append(statement)
        return original(action, statement, params)

    monkeypatch.setattr(hot, "query", counting)
    wanted = [key("k0"), key("k1"), key("missing"), key("k2"), key("split"), key("k0")]

    hits = metadata_store.lookup_cache(wanted)

    assert len(calls) == 1
    assert set(hits) == {key("k0"), key("k1"), key("k2"), key("split")}
    for i in range(3):
        assert hits[key(f"k{i}")].step_run_id == writes[i].step_run.id
        assert hits[key(f"k{i}")].outputs == writes[i].step_run.outputs
    assert hits[key("split")].outputs == two_outputs.outputs
    assert metadata_store.lookup_cache([]) == {}


OPEN_AND_LIST = """
import sys
from stepstone.metadata import open_metadata_store
with open_metadata_store(sys.argv[1]) as store:
    runs, total = store.list_runs(limit=20), store.count_runs()
    store.record_step_runs([])
    assert store.lookup_cache(["0" * 64]) == {}
print(len(runs), total, sorted({"alembic", "sqlalchemy"} & set(sys.modules)))
"""


def test_reopening_an_up_to_date_store_does_not_import_alembic(metadata_url: str) -> None:
    with open_metadata_store(metadata_url) as store:
        started(store)

    result = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LIST, metadata_url], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    # An existing SQLite file is opened with sqlite3 alone; servers need SQLAlchemy's drivers.
    imported = "[]" if metadata_url.startswith("sqlite") else "['sqlalchemy']"
    assert result.stdout.strip().split(maxsplit=2) == ["1", "1", imported]


#: What ``runs show``, ``explain`` and ``cache list`` read: a run's steps, one step, the entries.
READ_A_RUN = """
import sys
from stepstone.metadata import open_metadata_store
with open_metadata_store(sys.argv[1]) as store:
    [run] = store.list_runs()
    steps = store.get_step_runs(run.id)
    one = store.get_step_run(steps[1].id)
    entries = store.list_cache_entries(invocation_name="train", limit=5)
print([s.name for s in steps], one.outputs["output"].uri, [e.invocation_name for e in entries])
print(sorted({"alembic", "sqlalchemy"} & set(sys.modules)))
"""


def test_reading_a_run_and_the_cache_needs_no_sqlalchemy(metadata_url: str) -> None:
    with open_metadata_store(metadata_url) as store:
        run = started(store)
        writes = [
            executed(run, name, i, cache=key(name)) for i, name in enumerate(["load", "train"])
        ]
        store.record_step_runs(writes)

    result = subprocess.run(
        [sys.executable, "-c", READ_A_RUN, metadata_url], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    read, imported = result.stdout.strip().splitlines()
    uri = writes[1].step_run.outputs["output"].uri
    assert read == f"['load', 'train'] {uri} ['train']"
    assert imported == ("[]" if metadata_url.startswith("sqlite") else "['sqlalchemy']")


def test_importing_the_package_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, stepstone.metadata; "
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported eagerly'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
