"""The metadata store contract, any text: what a step printed, raised or was given is recorded on
every backend, with what the database cannot hold (lone surrogates, NUL) written as escapes, and
never fails the write that also holds the run's successful steps.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.metadata_factories import executed, make_run, make_step, started
from stepstone.exceptions import MetadataStoreError
from stepstone.metadata import MetadataStore, StepRunWrite
from stepstone.text import storable_json, storable_text

#: What ``os.listdir`` returns for a file named ``caf\xe9.csv`` under a UTF-8 locale.
UNDECODABLE = os.fsdecode(b"caf\xe9.csv")
HOSTILE = f"reading {UNDECODABLE}\x00 and \ud83d alone, é kept"
ESCAPED = "reading caf\\xe9.csv\\x00 and \\ud83d alone, é kept"


def test_hostile_text_in_every_column_is_recorded_escaped(metadata_store: MetadataStore) -> None:
    run = make_run(pipeline=f"p {UNDECODABLE}", parameters={"path": HOSTILE, HOSTILE: 1})
    metadata_store.create_run(run)
    good = executed(run, "load", 0)
    bad = make_step(run, "train", 1, status="failed")
    bad = replace(bad, parameters={"name": HOSTILE}, error=f"ValueError: {HOSTILE}" * 3000)

    metadata_store.record_step_runs([good, StepRunWrite(bad, logs=HOSTILE + "x" * 100_000)])

    stored = metadata_store.get_run(run.id)
    assert stored is not None
    assert stored.pipeline_name == "p caf\\xe9.csv"
    assert stored.parameters == {"path": ESCAPED, ESCAPED: 1}
    steps = metadata_store.get_step_runs(run.id)
    assert [step.name for step in steps] == ["load", "train"]
    assert steps[1].parameters == {"name": ESCAPED}
    assert steps[1].error == f"ValueError: {ESCAPED}" * 3000
    assert metadata_store.get_logs(bad.id) == ESCAPED + "x" * 100_000
    assert metadata_store.get_logs(good.step_run.id) == "log of load\n"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(codec=None, exclude_categories=()), max_size=40))
def test_any_parameter_text_reads_back_as_its_storable_form(
    metadata_store: MetadataStore, text: str
) -> None:
    run = started(metadata_store, parameters={"value": text})
    stored = metadata_store.get_run(run.id)
    assert stored is not None and stored.parameters == {"value": storable_text(text)}


@given(st.text())
def test_storable_json_decodes_to_the_storable_text_of_each_string(text: str) -> None:
    import json

    encoded = storable_json(json.dumps({text: [text]}, ensure_ascii=False))
    assert json.loads(encoded) == {storable_text(text): [storable_text(text)]}
    encoded.encode("utf-8")


def test_names_longer_than_their_column_are_refused_with_the_limit(
    metadata_store: MetadataStore,
) -> None:
    run = make_run(pipeline="p" * 250)
    with pytest.raises(MetadataStoreError, match=r"pipeline_runs\.name holds at most 255"):
        metadata_store.create_run(run)
    assert metadata_store.list_runs() == []
    ok = started(metadata_store)
    long_step = replace(make_step(ok, "train", 0), name="t" * 256)
    with pytest.raises(MetadataStoreError, match=r"step_runs\.name holds at most 255.* has 256"):
        metadata_store.record_step_runs([executed(ok, "load", 0), StepRunWrite(long_step)])
    assert metadata_store.get_step_runs(ok.id) == []
    fits = started(metadata_store, pipeline="p" * (255 - 40))
    assert metadata_store.get_run(fits.id) is not None
