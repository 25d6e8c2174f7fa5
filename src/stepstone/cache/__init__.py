"""Pure cache logic: canonical encoding of values, code fingerprints and cache keys.

The names below load on first use: the metadata records import
:mod:`stepstone.cache.manifest`, and that must not pull in fingerprinting and encoding
(reading run history stays fast).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stepstone._lazy import load_attribute

if TYPE_CHECKING:
    from stepstone.cache.encoding import display_value as display_value
    from stepstone.cache.encoding import encode_value as encode_value
    from stepstone.cache.fingerprint import CodeFingerprint as CodeFingerprint
    from stepstone.cache.fingerprint import fingerprint_function as fingerprint_function
    from stepstone.cache.key import KeyComponents as KeyComponents
    from stepstone.cache.key import OutputSpecEntry as OutputSpecEntry
    from stepstone.cache.key import parameter_digest as parameter_digest
    from stepstone.cache.manifest import Decision as Decision
    from stepstone.cache.manifest import KeyManifest as KeyManifest

_HOMES = {
    "CodeFingerprint": "stepstone.cache.fingerprint",
    "Decision": "stepstone.cache.manifest",
    "KeyComponents": "stepstone.cache.key",
    "KeyManifest": "stepstone.cache.manifest",
    "OutputSpecEntry": "stepstone.cache.key",
    "display_value": "stepstone.cache.encoding",
    "encode_value": "stepstone.cache.encoding",
    "fingerprint_function": "stepstone.cache.fingerprint",
    "parameter_digest": "stepstone.cache.key",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    return load_attribute(__name__, _HOMES, globals(), name)
