"""The key manifest's JSON form: it round-trips, and old records read back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stepstone.cache.manifest import Decision, KeyManifest

names = st.text(min_size=1, max_size=12).filter(
    lambda s: s not in {"input_steps", "decision", "cache_enabled", "input_producers"}
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@given(
    components=st.dictionaries(names, json_values, max_size=6),
    input_steps=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4),
    decision=st.none() | st.sampled_from(list(Decision)),
    cache_enabled=st.none() | st.booleans(),
)
def test_a_manifest_round_trips_through_json(components, input_steps, decision, cache_enabled):
    manifest = KeyManifest(components, input_steps, decision, cache_enabled)
    assert KeyManifest.from_json(manifest.to_json()) == manifest


def test_an_older_record_reads_back_without_the_fields_nobody_reads() -> None:
    stored = {
        "code": {"digest": "c"},
        "input_producers": {"X": "run-1"},
        "input_steps": {"X": "importer"},
        "decision": "expired",
    }
    manifest = KeyManifest.from_json(stored)
    assert manifest.components == {"code": {"digest": "c"}}
    assert manifest.decision is Decision.EXPIRED and manifest.cache_enabled is None
    assert KeyManifest.from_json({}) == KeyManifest()
    assert KeyManifest.from_json({"decision": "from-a-newer-version"}).decision is None
