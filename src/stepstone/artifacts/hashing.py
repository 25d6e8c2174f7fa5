"""Content hashing: BLAKE3 over buffers, files and artifact manifests.

Why BLAKE3: it is the fastest cryptographic hash available from Python (several GB/s on
one core, more with threads), so hashing every artifact while it is written costs less
than writing it. Artifact identity rests on these hashes, so a collision-resistant hash
is required; a fast non-cryptographic one (xxhash) would let two different outputs share
a cache entry.

An artifact may be several files. Its *content hash* is the BLAKE3 hash of a manifest:
canonical JSON listing every file's relative name, BLAKE3 hash and size, sorted by name.
So the hash depends only on the materialized bytes and their names, never on the order
the materializer wrote them, the time, or the machine. The manifest is stored beside the
files (:data:`MANIFEST_NAME`), which lets anyone re-check an artifact later: hash the
manifest to get the directory name back, and hash each file to compare with the manifest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from blake3 import blake3

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "MEMORY_LIMIT",
    "FileEntry",
    "decode_manifest",
    "encode_manifest",
    "hash_bytes",
    "hash_file",
    "is_content_hash",
]

#: File, inside every artifact directory, that lists the artifact's files. Its presence
#: marks an artifact as complete; materializers may not write a file of this name.
MANIFEST_NAME = ".stepstone-manifest.json"

#: Below this size a file is kept in memory until the content hash is known, so saving
#: a small value that is already stored touches no disk beyond a few ``stat`` calls.
MEMORY_LIMIT = 1 << 20

#: Bump when the manifest layout changes: it is part of every content hash.
MANIFEST_FORMAT = "stepstone-artifact/1"

_HEX_DIGITS = frozenset("0123456789abcdef")

# Below about half a MiB, BLAKE3's thread pool costs more than it saves (measured in
# benchmarks/hashing.py: 64 KiB hashes 40 % slower threaded, 1 MiB twice as fast).
_THREADED_MIN_BYTES = 512 * 1024

# Small files are read in one go: cheaper than setting up a memory map.
_MMAP_MIN_BYTES = 1 << 20

_AUTO = blake3.AUTO

_json_string = json.encoder.encode_basestring_ascii


def hash_bytes(data: bytes | bytearray | memoryview | Any) -> str:
    """Return the BLAKE3 hex digest (64 characters) of a buffer.

    Accepts anything exposing the buffer protocol (``bytes``, ``memoryview``, a contiguous
    NumPy array). Large buffers are hashed on all cores, small ones on the calling thread,
    because starting the thread pool costs more than hashing a few kilobytes.

    Example:
        >>> hash_bytes(b"")[:16]
        'af1349b9f5f9a1a6'
    """
    if type(data) is bytes:
        size = len(data)
    else:
        data = memoryview(data)
        if data.format != "B" or data.ndim != 1:
            data = data.cast("B")  # e.g. a float64 array: hash its bytes
        size = data.nbytes
    threads = _AUTO if size >= _THREADED_MIN_BYTES else 1
    return blake3(data, max_threads=threads).hexdigest()


def hash_file(path: str) -> tuple[str, int]:
    """Return ``(BLAKE3 hex digest, size in bytes)`` of a local file.

    Large files are memory-mapped and hashed on all cores; small files are read whole.
    """
    size = os.stat(path).st_size
    if size >= _MMAP_MIN_BYTES:
        hasher = blake3(max_threads=_AUTO)
        hasher.update_mmap(path)
        return hasher.hexdigest(), size
    with open(path, "rb") as file:
        data = file.read()
    return blake3(data).hexdigest(), len(data)


def is_content_hash(text: str) -> bool:
    """Whether ``text`` has the shape of a content hash (64 lowercase hex digits)."""
    return len(text) == 64 and _HEX_DIGITS.issuperset(text)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of an artifact: relative POSIX name, BLAKE3 hex digest, size in bytes."""

    name: str
    blake3: str
    size: int


def encode_manifest(entries: Iterable[FileEntry]) -> bytes:
    """Encode entries as canonical manifest bytes; their BLAKE3 hash is the content hash.

    Canonical: entries sorted by name, keys sorted, no whitespace, ASCII only, so equal
    file sets give equal bytes on every machine and Python version.
    """
    # Spelled out rather than json.dumps(sort_keys=True): this runs on every save, and the
    # result is byte-identical (a test holds the two equal).
    files = ",".join(
        f'{{"blake3":"{e.blake3}","name":{_json_string(e.name)},"size":{int(e.size)}}}'
        for e in sorted(entries, key=lambda e: e.name)
    )
    return f'{{"files":[{files}],"format":"{MANIFEST_FORMAT}"}}'.encode("ascii")


def decode_manifest(data: bytes) -> list[FileEntry]:
    """Parse manifest bytes written by :func:`encode_manifest`.

    Raises:
        ValueError: the bytes are not a manifest of a format this version understands.
    """
    document = json.loads(data)
    if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"not a {MANIFEST_FORMAT} manifest")
    return [FileEntry(f["name"], f["blake3"], int(f["size"])) for f in document["files"]]
