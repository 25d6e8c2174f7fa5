"""The cache-entry document a remote stores: what a step produced, in canonical JSON.

One document per cache key, never rewritten. It carries what importing needs to make the
entry a local hit (the outputs' content hashes and materializers, the key's components for
``explain``) and who produced it. The signature covers :meth:`EntryDocument.canonical_bytes`:
every field but the signature, as JSON with sorted keys and no insignificant whitespace, so
the same entry always signs and verifies to the same bytes wherever it is re-encoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import RemoteEntryError

if TYPE_CHECKING:
    from stepstone.metadata.records import ArtifactRecord

__all__ = ["FORMAT_VERSION", "EntryDocument", "RemoteOutput", "decode_entry"]

#: Version of the document layout; a reader refuses versions it does not know.
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class RemoteOutput:
    """One output of the producing step: which bytes, and how to load them.

    The fields other than ``name`` are those of the artifact's local record
    (:class:`~stepstone.metadata.records.ArtifactRecord`) that do not depend on the store.
    """

    name: str
    content_hash: str
    data_type: str
    materializer: str
    materializer_version: str
    size: int
    summary: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, name: str, record: ArtifactRecord) -> RemoteOutput:
        return cls(name, **{f: getattr(record, f) for f in ARTIFACT_FIELDS})

    def to_record(
        self, artifact_id: str, uri: str, producer: str, created_at: datetime
    ) -> ArtifactRecord:
        """The local record of these bytes stored at ``uri``, produced by step run ``producer``."""
        from stepstone.metadata.records import ArtifactRecord

        own = {f: getattr(self, f) for f in ARTIFACT_FIELDS}
        return ArtifactRecord(
            id=artifact_id, uri=uri, producer_step_run_id=producer, created_at=created_at, **own
        )


#: Fields of an output, with the type each is decoded as.
_OUTPUT_FIELDS: dict[str, type] = {
    "name": str,
    "content_hash": str,
    "data_type": str,
    "materializer": str,
    "materializer_version": str,
    "size": int,
    "summary": dict,
}
ARTIFACT_FIELDS = tuple(f for f in _OUTPUT_FIELDS if f != "name")
_TEXT_FIELDS = (
    "cache_key",
    "pipeline_name",
    "invocation_name",
    "definition_name",
    "created_at",
    "producer_run",
)
_TABLE_FIELDS = ("cache_components", "parameters")


@dataclass(frozen=True, slots=True)
class EntryDocument:
    """A cache entry as stored on a remote.

    Attributes:
        cache_key: the step's cache key (portable: no paths or hosts in it).
        pipeline_name: the producing run's pipeline.
        invocation_name: the step's name in that pipeline (``trainer_2``).
        definition_name: the ``@step`` definition's name (``trainer``).
        cache_components: the parts of the key, as recorded (for ``explain``).
        parameters: the step's parameters as displayed.
        duration: seconds the step took to execute (what a hit saves).
        created_at: when it executed (ISO 8601, UTC).
        producer_run: the name of the run that executed it.
        outputs: its outputs, sorted by name.
        signature: ``"<key name>:<base64>"`` (Ed25519 over the canonical bytes) or None.
    """

    cache_key: str
    pipeline_name: str
    invocation_name: str
    definition_name: str
    cache_components: dict[str, Any]
    parameters: dict[str, Any]
    duration: float | None
    created_at: str
    producer_run: str
    outputs: tuple[RemoteOutput, ...]
    signature: str | None = None

    def unsigned_fields(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            **{name: getattr(self, name) for name in (*_TEXT_FIELDS, *_TABLE_FIELDS)},
            "duration": self.duration,
            "outputs": [
                {name: getattr(o, name) for name in _OUTPUT_FIELDS}
                for o in sorted(self.outputs, key=lambda o: o.name)
            ],
        }

    def canonical_bytes(self) -> bytes:
        """The bytes a signature covers: every field but the signature, canonically."""
        return _canonical(self.unsigned_fields())

    def encode(self) -> bytes:
        """The document as stored (canonical JSON, signature included)."""
        return _canonical({**self.unsigned_fields(), "signature": self.signature})

    def signed(self, signature: str) -> EntryDocument:
        return replace(self, signature=signature)


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def decode_entry(data: bytes, where: str) -> EntryDocument:
    """Parse a stored document; ``where`` names it in errors.

    Raises:
        RemoteEntryError: not JSON, an unknown format version or a field missing or mistyped.
    """
    try:
        raw = json.loads(data.decode("utf-8"))
        if raw.get("format") != FORMAT_VERSION:
            raise RemoteEntryError(
                f"Cache entry {where} has format {raw.get('format')!r}; this version of "
                f"stepstone reads format {FORMAT_VERSION}. Upgrade stepstone to use it."
            )
        outputs = tuple(
            RemoteOutput(**{name: kind(o[name]) for name, kind in _OUTPUT_FIELDS.items()})
            for o in raw["outputs"]
        )
        duration, signature = raw["duration"], raw.get("signature")
        fields: dict[str, Any] = {name: str(raw[name]) for name in _TEXT_FIELDS}
        fields.update({name: dict(raw[name]) for name in _TABLE_FIELDS})
        document = EntryDocument(
            **fields,
            duration=None if duration is None else float(duration),
            outputs=outputs,
            signature=None if signature is None else str(signature),
        )
    except RemoteEntryError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RemoteEntryError(
            f"Cache entry {where} is not a valid entry document ({type(exc).__name__}: {exc}). "
            "It was damaged or written by something else; it is ignored."
        ) from exc
    return document
