"""Entry documents: canonical bytes, round trips, and Ed25519 signatures with fixed keys."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepstone.exceptions import ConfigError, RemoteEntryError
from stepstone.remote.entry import EntryDocument, RemoteOutput, decode_entry
from stepstone.remote.signing import SigningKey, TrustedKeys

# Fixed keys (RFC 8032 test vector 1's secret, and a second one): signatures are reproducible.
ALICE_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
MALLORY_SECRET = bytes(range(32))


def _key(name: str, secret: bytes) -> SigningKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return SigningKey(name, Ed25519PrivateKey.from_private_bytes(secret))


ALICE, MALLORY = _key("alice-1", ALICE_SECRET), _key("mallory-1", MALLORY_SECRET)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
outputs = st.builds(
    RemoteOutput,
    name=st.text(min_size=1, max_size=6),
    content_hash=st.text("0123456789abcdef", min_size=64, max_size=64),
    data_type=st.text(max_size=10),
    materializer=st.text(max_size=10),
    materializer_version=st.text(max_size=3),
    size=st.integers(min_value=0),
    summary=st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
documents = st.builds(
    EntryDocument,
    cache_key=st.text("0123456789abcdef", min_size=64, max_size=64),
    pipeline_name=st.text(max_size=10),
    invocation_name=st.text(max_size=10),
    definition_name=st.text(max_size=10),
    cache_components=st.dictionaries(st.text(max_size=5), json_values, max_size=4),
    parameters=st.dictionaries(st.text(max_size=5), json_values, max_size=4),
    duration=st.none() | st.floats(min_value=0, max_value=1e6),
    created_at=st.just("2026-12-01T12:00:00+00:00"),
    producer_run=st.text(max_size=10),
    outputs=st.lists(outputs, max_size=3, unique_by=lambda o: o.name).map(tuple),
)


@settings(deadline=None)  # signing's first call loads the cryptography backend
@given(documents)
def test_encoding_round_trips_and_its_canonical_bytes_are_stable(document: EntryDocument) -> None:
    decoded = decode_entry(document.encode(), "test")
    assert decoded.canonical_bytes() == document.canonical_bytes()
    assert decoded.encode() == document.encode()
    # The order outputs are listed in does not change what is signed.
    reordered = EntryDocument(**{**_fields(document), "outputs": document.outputs[::-1]})
    assert reordered.canonical_bytes() == document.canonical_bytes()
    signed = ALICE.sign(document)
    again = decode_entry(signed.encode(), "test")
    assert TrustedKeys.parse((ALICE.public_key(),)).check(again) == ("trusted", "alice-1")


def _fields(document: EntryDocument) -> dict[str, object]:
    return {name: getattr(document, name) for name in EntryDocument.__slots__}


DOCUMENT = EntryDocument(
    cache_key="ab" * 32,
    pipeline_name="numbers",
    invocation_name="total",
    definition_name="total",
    cache_components={"code": "c0de"},
    parameters={},
    duration=1.5,
    created_at="2026-12-01T12:00:00+00:00",
    producer_run="numbers-1",
    outputs=(RemoteOutput("output", "cd" * 32, "builtins.int", "builtins.json", "1", 2),),
)


def test_signature_verdicts_with_fixed_keys() -> None:
    trusted = TrustedKeys.parse((ALICE.public_key(),))
    assert trusted.check(DOCUMENT) == ("unsigned", None)
    signed = ALICE.sign(DOCUMENT)
    assert signed.signature == ALICE.sign(DOCUMENT).signature  # Ed25519 is deterministic
    assert trusted.check(signed) == ("trusted", "alice-1")
    assert trusted.check(MALLORY.sign(DOCUMENT)) == ("untrusted_key", "mallory-1")
    altered = EntryDocument(**{**_fields(signed), "duration": 0.1})
    assert trusted.check(altered) == ("bad_signature", "alice-1")
    # Mallory signing under Alice's name does not verify either.
    forged = DOCUMENT.signed("alice-1:" + MALLORY.sign(DOCUMENT).signature.split(":", 1)[1])
    assert trusted.check(forged) == ("bad_signature", "alice-1")


def test_bad_keys_and_documents_are_explained() -> None:
    with pytest.raises(ConfigError, match="NAME:BASE64"):
        TrustedKeys.parse(("alice-1:" + base64.b64encode(b"short").decode(),))
    with pytest.raises(RemoteEntryError, match="not a valid entry document"):
        decode_entry(b'{"format": 1}', "k on remote 'team'")
    with pytest.raises(RemoteEntryError, match="format 2"):
        decode_entry(b'{"format": 2}', "k on remote 'team'")
