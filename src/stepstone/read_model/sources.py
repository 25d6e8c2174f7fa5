"""Where a cached step's result came from: :class:`SourceRun`, resolved once per source run.

:func:`resolve_sources` reads a source run that several cached steps came from once, not once
per step (:meth:`stepstone.Client.sources_of`); every view that names a cached step's source
(a step, a comparison, a step's logs) embeds the same :class:`SourceRun`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from stepstone.exceptions import StepstoneError
from stepstone.metadata.records import StepRunRecord

if TYPE_CHECKING:
    from stepstone.metadata.store import MetadataStore


SOURCE_MEMO_SIZE = 200_000
"""Resolved sources a caller's memo holds before it starts over (see :func:`resolve_sources`)."""


class SourceRun(BaseModel):
    """Where a cached step's outputs came from: the step run that executed, and its run.

    ``run_id`` and ``run_name`` are null when that run can no longer be read (deleted).
    """

    step_run_id: str
    step: str | None = Field(description="The invocation name of the step run that executed.")
    run_id: str | None
    run_name: str | None
    duration: float | None = Field(description="What the execution took (what reusing saved).")
    remote: str | None = Field(
        default=None,
        description="The cache remote the result was imported from (push/pull or the "
        "read-through), null for a result executed against this store.",
    )

    @classmethod
    def unknown(cls, step_run_id: str) -> SourceRun:
        return cls(step_run_id=step_run_id, step=None, run_id=None, run_name=None, duration=None)


def source_for(record: StepRunRecord, sources: Mapping[str, SourceRun]) -> SourceRun | None:
    """The resolved source of a cached step run (a bare id when it could not be resolved)."""
    if not record.cached_from:
        return None
    return sources.get(record.cached_from) or SourceRun.unknown(record.cached_from)


def remote_of(record: StepRunRecord) -> str | None:
    """The remote a step run was imported from (its components name it), else ``None``."""
    remote = record.manifest.components.get("remote")
    return str(remote["name"]) if isinstance(remote, dict) and remote.get("name") else None


def resolve_sources(
    metadata: MetadataStore,
    records: Iterable[StepRunRecord],
    run_name: Callable[[str], str | None],
    known: MutableMapping[str, SourceRun] | None = None,
) -> dict[str, SourceRun]:
    """``cached_from`` step run id -> :class:`SourceRun`, for the cached ones of ``records``.

    Cached steps of one run usually reuse work of one or two earlier runs, so a source run
    with several of them is read whole, once. ``known`` is a memo the caller may keep across
    calls (a recorded step run never changes); a source that cannot be read is left out.
    """
    known = {} if known is None else known
    records = list(records)
    wanted = {r.cached_from for r in records if r.cached_from and r.cached_from not in known}
    while wanted:
        step_run_id = wanted.pop()
        try:
            first = metadata.get_step_run(step_run_id)
            if first is None:
                continue
            name = run_name(first.run_id)
            siblings = metadata.get_step_runs(first.run_id) if wanted else [first]
        except StepstoneError:  # unreadable source: the caller shows the bare id
            continue
        if len(known) > SOURCE_MEMO_SIZE:
            known.clear()
        for record in siblings:
            wanted.discard(record.id)
            known[record.id] = SourceRun(
                step_run_id=record.id,
                step=record.name,
                run_id=record.run_id if name is not None else None,
                run_name=name,
                duration=record.duration,
                remote=remote_of(record),
            )
    found = {r.cached_from for r in records if r.cached_from and r.cached_from in known}
    return {step_run_id: known[step_run_id] for step_run_id in found}
