"""``stepstone cache push``: local cache entries onto a remote, artifacts first.

For each entry the remote does not have: upload the output artifacts it lacks (verified
copies), then write the entry document with an exclusive create. An entry therefore never
names bytes that are not on the remote, and pushing again (or from a teammate with the same
results) writes nothing: the first writer of a key wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stepstone.artifacts.transfer import copy_artifact
from stepstone.remote.entry import EntryDocument, RemoteOutput
from stepstone.remote.layout import RemoteCache
from stepstone.remote.signing import SigningKey

if TYPE_CHECKING:
    from stepstone.metadata.records import CacheHit
    from stepstone.stores import Stores

__all__ = ["PushReport", "push_entries"]


@dataclass(frozen=True, slots=True)
class PushReport:
    """What a push did."""

    written: int
    already_there: int
    artifacts_uploaded: int
    signed_by: str | None


def _document(stores: Stores, hit: CacheHit) -> EntryDocument | None:
    step_run = stores.metadata.get_step_run(hit.step_run_id)
    run = stores.metadata.get_run(hit.run_id)
    if step_run is None or run is None or step_run.cache_key is None:
        return None  # deleted between listing and reading: nothing to push
    components = {k: v for k, v in step_run.manifest.to_json().items() if k != "remote"}
    return EntryDocument(
        cache_key=step_run.cache_key,
        pipeline_name=run.pipeline_name,
        invocation_name=step_run.name,
        definition_name=step_run.definition_name,
        cache_components=components,
        parameters=step_run.parameters,
        duration=step_run.duration,
        created_at=step_run.started_at.isoformat(),
        producer_run=run.name,
        outputs=tuple(RemoteOutput.of(name, a) for name, a in sorted(hit.outputs.items())),
    )


def push_entries(
    stores: Stores, remote: RemoteCache, keys: list[str], signing: SigningKey | None
) -> PushReport:
    """Push the local entries of ``keys`` (keys without a local entry are skipped).

    Raises:
        ArtifactIntegrityError: a local artifact is damaged (nothing of that entry is pushed).
        RemoteError: the remote cannot be written.
    """
    hits = stores.metadata.lookup_cache(keys)
    written = present = uploaded = 0
    for key in sorted(hits):
        if remote.fs.exists(remote.entry_path(key)):
            present += 1
            continue
        document = _document(stores, hits[key])
        if document is None:
            continue
        for output in document.outputs:
            uploaded += copy_artifact(stores.artifacts, remote.artifacts, output.content_hash)
        if signing is not None:
            document = signing.sign(document)
        if remote.write_entry(document):
            written += 1
        else:
            present += 1
    return PushReport(written, present, uploaded, None if signing is None else signing.name)
