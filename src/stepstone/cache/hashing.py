"""The one hash function of cache keys: BLAKE3, hex-encoded."""

from __future__ import annotations

from blake3 import blake3


def digest(data: bytes) -> str:
    """BLAKE3 hex digest (64 characters) of ``data``."""
    return blake3(data).hexdigest()
