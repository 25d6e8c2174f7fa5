"""What is stored with every step run about its cache key, and the decision taken.

:class:`KeyManifest` is the one shape of that record: the driver builds it once per step run,
the metadata store keeps it as JSON (:meth:`KeyManifest.to_json` / :meth:`KeyManifest.from_json`),
and explain, the models and the dashboard read its fields. :class:`Decision` is the one
vocabulary of why a step was reused or executed.

This module is imported by the metadata records, so it stays light: no fingerprinting, no
encoding, nothing beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    """What the driver decided about a step, stored with its run and published as an event."""

    HIT = "hit"
    """A usable cache entry existed: its outputs were reused."""
    MISS = "miss"
    """No cache entry for the key: the step executed."""
    DISABLED = "disabled"
    """The step's (or the pipeline's) cache is disabled: it always executes."""
    CACHE_OFF = "cache_off"
    """Caching is off for the process (``STEPSTONE_CACHE=off``)."""
    REFRESH = "refresh"
    """A refresh was asked for: the step executes and its result replaces the entry."""
    EXPIRED = "expired"
    """The entry was older than the step's ``cache_expires_after``."""
    ARTIFACTS_MISSING = "artifacts_missing"
    """The entry's artifacts were missing or damaged in the artifact store."""

    @classmethod
    def parse(cls, value: object) -> Decision | None:
        """The decision stored as ``value``; ``None`` for none or one this version does not know."""
        try:
            return cls(value) if isinstance(value, str) else None
        except ValueError:
            return None


_OWN_KEYS = ("input_steps", "decision", "cache_enabled")
"""Keys the manifest adds beside the key components in its JSON form."""


@dataclass(frozen=True, slots=True)
class KeyManifest:
    """The stored facts about one step run's cache key.

    Attributes:
        components: every part of the key separately, as written by
            :meth:`stepstone.cache.KeyComponents.to_record` (code, parameters, inputs, output
            spec, cache_version, extras), so a later run can say which one changed.
        input_steps: input name -> invocation name, in the same run, of the step that fed it.
        decision: why the step was reused or executed (``None`` in records written before
            decisions were stored).
        cache_enabled: whether the step's results become cache entries (``None`` in older
            records).
    """

    components: Mapping[str, Any] = field(default_factory=dict)
    input_steps: Mapping[str, str] = field(default_factory=dict)
    decision: Decision | None = None
    cache_enabled: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON-able data: the components with the manifest's own keys beside."""
        return {
            **self.components,
            "input_steps": dict(self.input_steps),
            "decision": None if self.decision is None else str(self.decision),
            "cache_enabled": self.cache_enabled,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyManifest:
        """Read a stored manifest; keys an older version wrote and nobody reads are dropped."""
        enabled = data.get("cache_enabled")
        return cls(
            components={
                k: v for k, v in data.items() if k not in _OWN_KEYS and k != "input_producers"
            },
            input_steps=dict(data.get("input_steps") or {}),
            decision=Decision.parse(data.get("decision")),
            cache_enabled=enabled if isinstance(enabled, bool) else None,
        )
