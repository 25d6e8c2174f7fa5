"""Copying an artifact's bytes between two stores, checked against its content hash.

Pushing to and pulling from a cache remote move artifacts without loading them: no
materializer runs, so nothing is deserialized. The bytes are verified while they are
copied (the manifest against the content hash, every file against the manifest) and only
a complete, verified copy is published in the target: a damaged or tampered source is an
:class:`~stepstone.exceptions.ArtifactIntegrityError` and leaves nothing behind.
"""

from __future__ import annotations

import os

from blake3 import blake3

from stepstone.artifacts.files import write_new_file
from stepstone.artifacts.hashing import MANIFEST_NAME, decode_manifest, hash_bytes
from stepstone.artifacts.store import ArtifactStore
from stepstone.exceptions import ArtifactIntegrityError, ArtifactMissingError

__all__ = ["copy_artifact"]

_CHUNK = 8 << 20


def copy_artifact(source: ArtifactStore, target: ArtifactStore, content_hash: str) -> bool:
    """Copy artifact ``content_hash`` from ``source`` into ``target``; False if already there.

    Raises:
        ArtifactMissingError: ``source`` does not hold it.
        ArtifactIntegrityError: its bytes in ``source`` do not match ``content_hash``.
        ArtifactStoreError: ``target`` could not be written.
    """
    if target.exists(target.uri_for(content_hash)):
        return False
    uri = source.uri_for(content_hash)
    incoming, outgoing = source._backend, target._backend
    try:
        manifest = incoming.read_manifest(content_hash)
    except FileNotFoundError as exc:
        raise ArtifactMissingError(f"No artifact {uri!r}.", uri=uri) from exc
    if hash_bytes(manifest) != content_hash:
        raise ArtifactIntegrityError(
            f"Artifact {uri!r} is damaged: its manifest does not hash to its address.",
            uri=uri,
            file=MANIFEST_NAME,
        )
    entries = decode_manifest(manifest)
    staging = outgoing.new_staging()
    try:
        with incoming.reader(content_hash, uri) as reader:
            for entry in entries:
                path = os.path.join(staging, *entry.name.split("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                hasher, size = blake3(), 0
                try:
                    with reader.open(entry.name) as data, open(path, "xb") as copy:
                        while chunk := data.read(_CHUNK):
                            hasher.update(chunk)
                            size += len(chunk)
                            copy.write(chunk)
                except FileNotFoundError as exc:
                    raise ArtifactMissingError(
                        f"Artifact {uri!r} is incomplete: file {entry.name!r} is missing.",
                        uri=uri,
                        file=entry.name,
                    ) from exc
                if size != entry.size or hasher.hexdigest() != entry.blake3:
                    raise ArtifactIntegrityError(
                        f"Artifact {uri!r} is damaged: file {entry.name!r} does not match its "
                        "hash (changed after it was written); it was not copied.",
                        uri=uri,
                        file=entry.name,
                    )
        write_new_file(os.path.join(staging, MANIFEST_NAME), manifest)
        outgoing.commit(
            staging, content_hash, manifest, entries, replace=outgoing.exists(content_hash)
        )
    except BaseException:
        outgoing.discard(staging)
        raise
    return True
