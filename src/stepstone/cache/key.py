"""The cache key of a step run, built from separately stored components.

``key = hash(schema, code, parameters, inputs, output spec, cache_version, extras)``

Each component is kept apart in :class:`KeyComponents` and stored with the step run, so a
later run can say exactly which one changed. Inputs are keyed by the *content hash* of the
artifact fed in, not by the run that produced it: an upstream step that reruns and returns
identical bytes does not invalidate its consumers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepstone.cache.encoding import encode_value
from stepstone.cache.fingerprint import CodeFingerprint
from stepstone.cache.hashing import digest
from stepstone.exceptions import UnhashableParameterError

KEY_SCHEMA_VERSION = 2
"""Bump when the way keys are built changes, so no old entry is ever read with new meaning."""


@dataclass(frozen=True, slots=True)
class OutputSpecEntry:
    """One declared output as it enters the key: name, declared type, materializer@version."""

    name: str
    declared_type: str
    materializer: str

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.name, self.declared_type, self.materializer)


@dataclass(frozen=True, slots=True)
class KeyComponents:
    """Everything a step's cache key is made of.

    Attributes:
        code: the step's code fingerprint.
        parameters: parameter name -> hash of its canonical encoding.
        inputs: input name -> content hash of the artifact fed in.
        output_spec: the declared outputs.
        cache_version: the manual version bump, if any.
        extras: further named components (declared files, environment variables).
    """

    code: CodeFingerprint
    parameters: dict[str, str]
    inputs: dict[str, str]
    output_spec: tuple[OutputSpecEntry, ...]
    cache_version: str | None = None
    extras: dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        """The fixed-length key: a hash over every component.

        Every component is already a string (names, hex digests), so the material is those
        strings length-prefixed in a fixed order: unambiguous, and fast enough to compute for
        every step of every run.
        """
        parts: list[str] = [str(KEY_SCHEMA_VERSION), self.code.digest]
        for section in (self.parameters, self.inputs, self.extras):
            parts.append(str(len(section)))
            for name in sorted(section):
                parts += (name, section[name])
        parts.append(str(len(self.output_spec)))
        for entry in self.output_spec:
            parts += entry.as_tuple()
        parts.append("-" if self.cache_version is None else "v" + self.cache_version)
        # Each part framed as f"{len(part)}:{part}", by C-level calls (this runs per step).
        return digest("".join(map("{}:{}".format, map(len, parts), parts)).encode())

    def to_record(self) -> dict[str, Any]:
        """The components as JSON-able data, stored with the step run."""
        return {
            "schema": KEY_SCHEMA_VERSION,
            "code": self.code.to_record(),
            "parameters": dict(self.parameters),
            "inputs": dict(self.inputs),
            "output_spec": [list(entry.as_tuple()) for entry in self.output_spec],
            "cache_version": self.cache_version,
            "extras": dict(self.extras),
        }


def parameter_digest(value: Any, *, parameter: str = "", invocation_name: str = "") -> str:
    """Hash of one parameter value's canonical encoding.

    Raises:
        UnhashableParameterError: the value has none; the error names ``parameter`` and
            ``invocation_name`` (the encoder, deep inside the value, knows neither).
    """
    try:
        return digest(encode_value(value))
    except UnhashableParameterError as exc:
        raise UnhashableParameterError(
            str(exc), parameter=parameter, invocation_name=invocation_name
        ) from None
