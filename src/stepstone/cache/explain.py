"""Why a step ran again, or why it was reused: comparing two stored key manifests.

Every step run stores its :class:`~stepstone.cache.manifest.KeyManifest`: the cache key's
components separately (code objects, parameters, inputs, output spec, extras), which step fed
each input, and the :class:`~stepstone.cache.manifest.Decision` the driver took.
:func:`explain` compares a step run with an earlier run of the same step and turns every
difference into a :class:`Reason` with a plain sentence:

* ``code changed: features.scale (features.py)``
* ``parameter lr: 0.001 → 0.01``
* ``input X_train changed because step normalizer ran again``
* ``cache disabled for this step`` / ``cached result expired`` / ``no earlier run``
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any, Literal

from stepstone.cache.fingerprint import whole_module_notes
from stepstone.cache.manifest import Decision, KeyManifest

ReasonKind = Literal[
    "cached",
    "no_earlier_run",
    "cache_disabled",
    "cache_off",
    "refresh",
    "expired",
    "artifacts_missing",
    "failed_before",
    "code",
    "library",
    "parameter",
    "input",
    "output_spec",
    "cache_version",
    "extra",
    "pipeline_parameter",
    "same_key",
]

_LEAD_ORDER: tuple[ReasonKind, ...] = (
    "cached",
    "cache_disabled",
    "cache_off",
    "refresh",
    "expired",
    "artifacts_missing",
    "code",
    "parameter",
    "input",
    "output_spec",
    "cache_version",
    "extra",
    "library",
    "failed_before",
    "same_key",
    "no_earlier_run",
    "pipeline_parameter",
)
"""The order reasons are listed in: first the one that decided (a decision by itself, else
the user's own code, parameters and inputs), then the environment, then context that did
not enter the key (a pipeline parameter that reached the step only through its code)."""


@dataclass(frozen=True, slots=True)
class StepRunFacts:
    """What explain needs of one step run (taken from its record)."""

    id: str
    run_id: str
    run_name: str
    name: str
    status: str
    cache_key: str | None
    manifest: KeyManifest
    parameters: dict[str, Any]
    cached_from: str | None = None
    producer_statuses: dict[str, str] = field(default_factory=dict)
    """Input name -> status in this run of the step that fed it (``completed``, ``cached``)."""
    producer_names: dict[str, str] = field(default_factory=dict)
    """Input name -> name of the step that fed it in this run."""
    run_parameters: dict[str, Any] = field(default_factory=dict)
    """The parameters of the pipeline run (``framework``), as displayed with the run."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One difference or decision, as data and as a sentence."""

    kind: ReasonKind
    message: str
    subject: str | None = None
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a step run executed or was cached, compared with ``against`` (if any)."""

    invocation_name: str
    run_name: str
    status: str
    against_run: str | None
    reasons: tuple[Reason, ...]
    against_is_source: bool = False
    """Whether ``against_run`` holds the step run this cached step reused."""

    @property
    def decided_by(self) -> ReasonKind | None:
        """The kind of the reason that decided (listed first), for a headline or a badge."""
        return self.reasons[0].kind if self.reasons else None

    def __str__(self) -> str:
        verb = {"cached": "was cached", "completed": "ran", "failed": "ran and failed"}.get(
            self.status, self.status
        )
        if self.against_is_source and self.against_run:
            against = f" (reused from run {self.against_run})"
        else:
            against = f" (compared with run {self.against_run})" if self.against_run else ""
        lines = [f"Step '{self.invocation_name}' in run {self.run_name} {verb}{against}:"]
        lines += [f"  - {reason.message}" for reason in self.reasons]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The same sentences for a notebook, escaped (reasons name the user's code)."""
        first, *reasons = str(self).splitlines()
        items = "".join(f"<li>{escape(line.strip()[2:])}</li>" for line in reasons)
        return f'<div class="stepstone-explain"><b>{escape(first)}</b><ul>{items}</ul></div>'

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decided_by": self.decided_by}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=str, indent=2)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _location(name: str, files: dict[str, str]) -> str:
    file = files.get(name)
    return f" ({os.path.basename(file)})" if file else ""


_DEFAULT_MARK = "<default "


def _is_environment(name: str, files: Mapping[str, str]) -> bool:
    """Whether a code object is the interpreter's or an installed library's, not the user's.

    Library versions are; so is anything in the standard library (``os.environ``,
    ``_frozen_importlib._find_spec``) or under ``site-packages``: a user reading "why did
    this rerun" wants their own code first, and these at most as one line.
    """
    if name.startswith("library:"):
        return True
    module = name.removeprefix("module:").split(".", 1)[0].split("<", 1)[0]
    if module in sys.stdlib_module_names or module in sys.builtin_module_names:
        return True
    file = files.get(name) or ""
    return "site-packages" in file or "dist-packages" in file


def _environment_reason(changed: list[tuple[str, Any, Any]]) -> Reason:
    """One line for every library and interpreter detail that changed."""
    versions = [
        f"{name.removeprefix('library:')} {old or 'not used'} → {new or 'not used'}"
        for name, old, new in changed
        if name.startswith("library:")
    ]
    others = sorted(
        name.removeprefix("module:") for name, _, _ in changed if not name.startswith("library:")
    )
    parts = list(versions)
    if others:
        shown = ", ".join(others[:2]) + (", …" if len(others) > 2 else "")
        parts.append(f"{len(others)} interpreter or library object(s) ({shown})")
    subject = ", ".join(name.removeprefix("library:") for name, _, _ in changed)
    return Reason(
        "library",
        f"libraries and interpreter: {'; '.join(parts)}",
        subject,
        {name: old for name, old, _ in changed},
        {name: new for name, _, new in changed},
    )


def _code_reasons(now: Mapping[str, Any], before: Mapping[str, Any]) -> list[Reason]:
    objects, previous = now.get("objects", {}), before.get("objects", {})
    files = {**before.get("files", {}), **now.get("files", {})}
    reasons = []
    environment: list[tuple[str, Any, Any]] = []
    changed = [
        name
        for name in sorted(set(objects) | set(previous))
        if previous.get(name) != objects.get(name)
    ]
    parents = {name for name in changed if _DEFAULT_MARK not in name}
    for name in changed:
        old, new = previous.get(name), objects.get(name)
        if _is_environment(name, files):
            environment.append((name, old, new))
            continue
        shown = name.removeprefix("module:")
        owner, mark, _ = name.partition(_DEFAULT_MARK)
        if mark and owner in parents:
            continue  # a default of a function already named: the function's line says it
        if mark:
            message = f"a default value of {owner.removeprefix('module:')} changed"
        elif old is None:
            message = f"code added: {shown}{_location(name, files)}"
        elif new is None:
            message = f"code no longer used: {shown}{_location(name, files)}"
        else:
            message = f"code changed: {shown}{_location(name, files)}"
        reasons.append(Reason("code", message, shown, old, new))
    reasons += [Reason("code", note) for note in whole_module_notes(now, before)]
    if environment:
        reasons.append(_environment_reason(environment))
    if not reasons and now.get("digest") != before.get("digest"):
        reasons.append(
            Reason("code", "code changed", None, before.get("digest"), now.get("digest"))
        )
    return reasons


def _parameter_reasons(current: StepRunFacts, previous: StepRunFacts) -> list[Reason]:
    now = current.manifest.components.get("parameters", {})
    before = previous.manifest.components.get("parameters", {})
    reasons = []
    for name in sorted(set(now) | set(before)):
        if now.get(name) == before.get(name):
            continue
        old = previous.parameters.get(name, "not set")
        new = current.parameters.get(name, "not set")
        if old == new:  # equal renderings, different values (e.g. a long list cut short)
            message = f"parameter {name} changed"
        else:
            message = f"parameter {name}: {_short(old)} → {_short(new)}"
        reasons.append(Reason("parameter", message, name, old, new))
    return reasons


def _pipeline_parameter_reasons(
    current: StepRunFacts, previous: StepRunFacts, step_reasons: list[Reason]
) -> list[Reason]:
    """Pipeline parameters that differ and are not the step's own: they reached the step
    through its code or inputs (``framework`` picks another trainer), so they are named as
    context for the differences above them."""
    own = {reason.subject for reason in step_reasons if reason.kind == "parameter"}
    now, before = current.run_parameters, previous.run_parameters
    reasons = []
    for name in [*now, *(key for key in before if key not in now)]:
        if name in own or now.get(name) == before.get(name):
            continue
        old, new = before.get(name, "not set"), now.get(name, "not set")
        message = f"pipeline parameter {name}: {_short(old)} → {_short(new)}"
        reasons.append(Reason("pipeline_parameter", message, name, old, new))
    return reasons


def _input_reasons(current: StepRunFacts, previous: StepRunFacts) -> list[Reason]:
    now = current.manifest.components.get("inputs", {})
    before = previous.manifest.components.get("inputs", {})
    reasons = []
    for name in sorted(set(now) | set(before)):
        if now.get(name) == before.get(name):
            continue
        producer = current.producer_names.get(name)
        status = current.producer_statuses.get(name)
        if name not in before:
            message = f"input {name} is new"
        elif name not in now:
            message = f"input {name} is no longer passed"
        elif producer and status == "completed":
            message = f"input {name} changed because step {producer} ran again"
        elif producer:
            message = f"input {name} changed (step {producer} returned different data)"
        else:
            message = f"input {name} changed (a different value was passed in)"
        reasons.append(Reason("input", message, name, before.get(name), now.get(name)))
    return reasons


def _other_reasons(now: Mapping[str, Any], before: Mapping[str, Any]) -> list[Reason]:
    reasons = []
    if now.get("output_spec") != before.get("output_spec"):
        reasons.append(
            Reason(
                "output_spec",
                "declared outputs or their materializers changed",
                None,
                before.get("output_spec"),
                now.get("output_spec"),
            )
        )
    if now.get("cache_version") != before.get("cache_version"):
        old, new = before.get("cache_version"), now.get("cache_version")
        reasons.append(Reason("cache_version", f"cache_version: {old} → {new}", None, old, new))
    extras, old_extras = now.get("extras", {}), before.get("extras", {})
    for name in sorted(set(extras) | set(old_extras)):
        if extras.get(name) != old_extras.get(name):
            kind, _, subject = name.partition(":")
            label = {"file": "declared file", "env": "environment variable"}.get(kind, kind)
            reasons.append(
                Reason(
                    "extra",
                    f"{label} {subject} changed",
                    name,
                    old_extras.get(name),
                    extras.get(name),
                )
            )
    return reasons


_DECISIONS: dict[Decision, tuple[ReasonKind, str]] = {
    Decision.DISABLED: ("cache_disabled", "cache disabled for this step"),
    Decision.CACHE_OFF: ("cache_off", "caching is off for this process (STEPSTONE_CACHE=off)"),
    Decision.REFRESH: ("refresh", "refresh was requested for this step"),
    Decision.EXPIRED: ("expired", "cached result expired"),
    Decision.ARTIFACTS_MISSING: ("artifacts_missing", "cached outputs were missing from the store"),
}
"""The decisions that explain, by themselves, why a step executed (a miss needs the diff)."""


def _differing(now: Any, before: Any) -> int:
    """How many entries of two component mappings differ (1 for two unequal plain values)."""
    if isinstance(now, Mapping) and isinstance(before, Mapping):
        return sum(now.get(key) != before.get(key) for key in set(now) | set(before))
    return int(now != before)


def manifest_distance(current: KeyManifest, other: KeyManifest) -> int:
    """How far apart two step runs' keys are: the number of key parts that differ.

    Each code object, parameter, input and extra counts once, as do the output spec and
    ``cache_version``. A step that executed is explained against the earlier run at the
    smallest distance, so switching back to an old configuration is compared with the run
    that had it, not with the run just before (which differs in everything the switch
    touched, interpreter internals included).
    """
    now, before = current.components, other.components
    code_now, code_before = now.get("code") or {}, before.get("code") or {}
    code = _differing(code_now.get("objects", {}), code_before.get("objects", {}))
    if not code and code_now.get("digest") != code_before.get("digest"):
        code = 1
    return code + sum(
        _differing(now.get(part, {}), before.get(part, {}))
        for part in ("parameters", "inputs", "extras", "output_spec", "cache_version")
    )


def explain(current: StepRunFacts, previous: StepRunFacts | None) -> Explanation:
    """Explain ``current`` against ``previous``: for a cached step the step run it reused,
    else an earlier run of the step (see :func:`stepstone.models.comparison_record`).

    The reasons come in :data:`_LEAD_ORDER`, the deciding one first. A cached step is
    explained by its key alone when compared with the run it reused (the keys are equal, so
    nothing differs); compared with any other run, the differences follow, each of them
    true of that run and not of the key.
    """
    reasons: list[Reason] = []
    decision = current.manifest.decision
    reused = previous is not None and current.cached_from == previous.id
    if current.status == "cached":
        if reused or previous is None:
            message = "same cache key (code, parameters and inputs match): its outputs were reused"
            remote = previous.manifest.components.get("remote") if previous else None
            if isinstance(remote, dict) and remote.get("name"):
                message += f", from remote {remote['name']}"
        else:
            message = (
                f"its outputs were reused from step run {str(current.cached_from)[:12]}, whose "
                f"cache key matches; what differs from run {previous.run_name} follows"
            )
        reasons.append(
            Reason(
                "cached",
                message,
                None,
                None,
                current.cached_from,
            )
        )
    elif decision is not None and decision in _DECISIONS:
        kind, message = _DECISIONS[decision]
        reasons.append(Reason(kind, message))
    if previous is None:
        if current.status != "cached":
            reasons.append(Reason("no_earlier_run", "no earlier run"))
        return Explanation(current.name, current.run_name, current.status, None, tuple(reasons))
    now, before = current.manifest.components, previous.manifest.components
    differences = [
        *_code_reasons(now.get("code", {}), before.get("code", {})),
        *_parameter_reasons(current, previous),
        *_input_reasons(current, previous),
        *_other_reasons(now, before),
    ]
    reasons.extend(differences)
    if current.status != "cached" and not differences and decision not in _DECISIONS:
        if previous.status == "failed":
            reasons.append(Reason("failed_before", "the earlier run of this step failed"))
        else:
            reasons.append(Reason("same_key", "nothing changed, but no usable cache entry existed"))
    if current.status != "cached" or not reused:
        reasons.extend(_pipeline_parameter_reasons(current, previous, differences))
    ordered = sorted(reasons, key=lambda reason: _LEAD_ORDER.index(reason.kind))
    return Explanation(
        current.name,
        current.run_name,
        current.status,
        previous.run_name,
        tuple(ordered),
        against_is_source=reused,
    )
