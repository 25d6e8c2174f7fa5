"""Pure cache logic: canonical encoding of values, code fingerprints and cache keys."""

from stepstone.cache.encoding import display_value, encode_value
from stepstone.cache.fingerprint import CodeFingerprint, fingerprint_function
from stepstone.cache.key import KeyComponents, OutputSpecEntry, parameter_digest

__all__ = [
    "CodeFingerprint",
    "KeyComponents",
    "OutputSpecEntry",
    "display_value",
    "encode_value",
    "fingerprint_function",
    "parameter_digest",
]
