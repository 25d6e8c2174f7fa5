"""Housekeeping of a stepstone home: deleting runs, clearing the cache, collecting garbage.

The CLI (``stepstone runs delete``, ``cache clear|prune``, ``gc``) and any script call the
same functions here; they take the :class:`~stepstone.stores.Stores` of a home and return
small reports of what they removed.

What may be deleted, and when
    Artifacts are content-addressed and shared: one directory serves every artifact record
    with its content hash, in any run. A file is therefore deleted only when *no* recorded
    artifact has its hash any more (:meth:`MetadataStore.referenced_content_hashes`).
    Deleting a run removes its records, then the files that only it referenced; clearing the
    cache removes cache entries only (the runs keep their artifacts, later runs execute
    again); ``gc`` sweeps every unreferenced file, e.g. after a crash between writing an
    artifact and recording it, and staging leftovers of crashed writers.

Runs in progress
    A running pipeline writes an artifact's files *before* it records the artifact, so for
    a moment its new files are unreferenced; and a step that produces bytes already on disk
    reuses the existing directory. Sweeping then could delete files a live run is about to
    record. So while any run started within :data:`IN_PROGRESS_WINDOW` is still
    ``running``, file deletion is refused (``gc``) or postponed (``delete_run`` leaves the
    files for a later ``gc``). A run killed without a chance to record its end stays
    ``running``; ``force=True`` (``--force``) overrides, and runs older than the window are
    assumed dead.

    A run may also start while ``gc`` sweeps. So ``gc`` notes each candidate's mtime, sets
    every candidate aside (locally one rename into staging: a save of the same bytes from
    then on writes them anew), then reads the referenced hashes again, and puts back what a
    run recorded meanwhile or touched since it was listed (a save that finds its bytes
    stored touches them before its run records them). If a run started since the sweep
    began, whatever was written since then is put back too. Only the rest is deleted.

Staging
    Every save writes into a staging directory named after its writer (pid and host). An
    interrupted write (a killed process) leaves it behind: ``gc --dry-run`` reports these
    leftovers with their size, ``gc`` removes those whose writer is gone (another host's,
    after a day).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from stepstone.exceptions import (
    ArtifactMissingError,
    InvalidDurationError,
    MaintenanceError,
    did_you_mean,
)

if TYPE_CHECKING:
    from stepstone.metadata.records import PipelineRunRecord
    from stepstone.stores import Stores

__all__ = [
    "IN_PROGRESS_WINDOW",
    "GarbageReport",
    "MaintenanceError",
    "RunDeletion",
    "clear_cache",
    "collect_garbage",
    "delete_run",
    "parse_duration",
    "prune_cache",
    "runs_in_progress",
]

IN_PROGRESS_WINDOW = timedelta(hours=24)
"""A ``running`` run younger than this may still be writing artifacts; older ones are dead."""

STAGING_MAX_AGE_S = 86400.0
"""Staging entries of another host (or of no writer) older than this (a day) are leftovers."""

CLOCK_SLACK_S = 1.0
"""Files touched this long before a sweep began count as touched during it (file times come
from a coarser clock than ``time.time``)."""


@dataclass(frozen=True, slots=True)
class RunDeletion:
    """What :func:`delete_run` removed.

    Attributes:
        files_deleted: artifact directories no other record referenced, now gone.
        bytes_freed: their total size.
        files_postponed: unreferenced directories left for ``gc`` because runs are in progress.
    """

    run_id: str
    run_name: str
    step_runs: int
    cache_entries: int
    artifact_records: int
    files_deleted: int
    bytes_freed: int
    files_postponed: int = 0


@dataclass(frozen=True, slots=True)
class GarbageReport:
    """What :func:`collect_garbage` found (and, unless ``dry_run``, deleted).

    Attributes:
        content_hashes: the unreferenced artifacts, sorted (deleted, or that would be).
        bytes: their total size (what is, or would be, freed).
        staging_removed: staging leftovers removed (``None`` on a dry run).
        in_progress: names of runs in progress (only a dry run or ``force`` reports them).
        staging_leftovers: staging entries of interrupted writes whose writer is gone.
        staging_bytes: their total size.
        kept: unreferenced artifacts a run recorded or reused while the sweep ran (kept).
    """

    dry_run: bool
    content_hashes: tuple[str, ...]
    bytes: int
    staging_removed: int | None
    in_progress: tuple[str, ...] = ()
    staging_leftovers: int = 0
    staging_bytes: int = 0
    kept: tuple[str, ...] = ()

    @property
    def artifacts(self) -> int:
        return len(self.content_hashes)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def runs_in_progress(
    stores: Stores, *, now: datetime | None = None, exclude: Iterable[str] = ()
) -> list[PipelineRunRecord]:
    """Runs still ``running`` that started within :data:`IN_PROGRESS_WINDOW`, newest first."""
    since = _now(now) - IN_PROGRESS_WINDOW
    skip = set(exclude)
    return [
        run
        for run in stores.metadata.list_runs(status="running")
        if run.id not in skip and _aware(run.started_at) >= since
    ]


def _in_progress_message(runs: list[PipelineRunRecord], action: str) -> str:
    names = ", ".join(run.name for run in runs[:3]) + (" …" if len(runs) > 3 else "")
    return (
        f"{len(runs)} run(s) in progress ({names}): {action} now could delete files they are "
        "writing. Try again when they finish, or pass --force if they were killed."
    )


def _delete_files(stores: Stores, content_hashes: Iterable[str], *, dry_run: bool) -> int:
    """Delete (or only measure) artifact directories; return their total size in bytes."""
    artifacts = stores.artifacts
    freed = 0
    for content_hash in content_hashes:
        uri = artifacts.uri_for(content_hash)
        try:
            freed += artifacts.size_of(uri)
        except ArtifactMissingError:  # removed meanwhile, or never complete
            continue
        if not dry_run:
            artifacts.delete(uri, missing_ok=True)
    return freed


def delete_run(stores: Stores, run: PipelineRunRecord, *, force: bool = False) -> RunDeletion:
    """Delete a run's records, then the artifact files nothing else references.

    Artifacts the run shares with other runs (it reused them from the cache, or another run
    reused its outputs) keep their records and files.

    Raises:
        MaintenanceError: the run is still running (``force`` deletes it anyway).
        RunNotFoundError: the run was deleted meanwhile.
    """
    live = {other.id for other in runs_in_progress(stores)} if run.status == "running" else set()
    if run.id in live and not force:
        raise MaintenanceError(
            f"Run {run.name} is still running. Wait for it to finish, or pass --force if its "
            "process was killed."
        )
    metadata = stores.metadata
    candidates = {
        artifact.content_hash
        for step in metadata.get_step_runs(run.id)
        for artifact in (*step.outputs.values(), *step.inputs.values())
    }
    removed = metadata.delete_run(run.id)
    unreferenced = sorted(candidates - metadata.referenced_content_hashes())
    postponed = 0
    freed = 0
    deleted = 0
    if unreferenced:
        if runs_in_progress(stores, exclude=[run.id]) and not force:
            postponed = len(unreferenced)
        else:
            freed = _delete_files(stores, unreferenced, dry_run=False)
            deleted = len(unreferenced)
    return RunDeletion(
        run_id=run.id,
        run_name=run.name,
        step_runs=removed.step_runs,
        cache_entries=removed.cache_entries,
        artifact_records=removed.artifacts,
        files_deleted=deleted,
        bytes_freed=freed,
        files_postponed=postponed,
    )


def collect_garbage(stores: Stores, *, dry_run: bool = False, force: bool = False) -> GarbageReport:
    """Delete every artifact directory whose content hash no recorded artifact has.

    Also removes staging leftovers of crashed writers older than a day. With ``dry_run``,
    only reports what would go.

    Raises:
        MaintenanceError: runs are in progress and neither ``dry_run`` nor ``force`` is set.
    """
    began = time.time() - CLOCK_SLACK_S
    live = runs_in_progress(stores)
    if live and not (dry_run or force):
        raise MaintenanceError(_in_progress_message(live, "collecting garbage"))
    referenced = stores.metadata.referenced_content_hashes()
    unreferenced = tuple(h for h in stores.artifacts.iter_hashes() if h not in referenced)
    kept: tuple[str, ...] = ()
    if dry_run:
        freed = _delete_files(stores, unreferenced, dry_run=True)
    else:
        unreferenced, kept, freed = _sweep(stores, unreferenced, began)
    leftovers = stores.artifacts.staging_leftovers(STAGING_MAX_AGE_S)
    staging = None if dry_run else stores.artifacts.purge_staging(STAGING_MAX_AGE_S)
    return GarbageReport(
        dry_run=dry_run,
        content_hashes=unreferenced,
        bytes=freed,
        staging_removed=staging,
        in_progress=tuple(run.name for run in live),
        staging_leftovers=len(leftovers),
        staging_bytes=sum(leftover.size for leftover in leftovers),
        kept=kept,
    )


def _sweep(
    stores: Stores, candidates: tuple[str, ...], began: float
) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """Set the candidates aside, re-check them against the metadata, delete the rest.

    Returns ``(deleted, kept, bytes freed)``. Kept are those a run recorded since the
    candidates were listed or a save touched (reused) since; and, if a run started after the
    sweep ``began``, those written since.
    """
    artifacts = stores.artifacts
    listed = []
    for content_hash in candidates:
        try:
            size = artifacts.size_of(artifacts.uri_for(content_hash))
        except ArtifactMissingError:  # removed meanwhile, or never complete
            continue
        listed.append((content_hash, artifacts.modified_at(content_hash), size))
    aside = []
    for content_hash, modified_at, size in listed:
        moved = artifacts.set_aside(content_hash)
        if moved is not None:
            aside.append((moved, modified_at, size))
    referenced = stores.metadata.referenced_content_hashes()
    since = datetime.fromtimestamp(began + CLOCK_SLACK_S, UTC)  # when the sweep began
    started = any(_aware(run.started_at) >= since for run in runs_in_progress(stores))
    deleted, kept, freed = [], [], 0
    for moved, modified_at, size in aside:
        if (
            moved.content_hash in referenced
            or moved.modified_at != modified_at
            or (started and moved.modified_at >= began)
        ):
            artifacts.put_back(moved)
            kept.append(moved.content_hash)
        else:
            artifacts.drop(moved)
            deleted.append(moved.content_hash)
            freed += size
    return tuple(deleted), tuple(kept), freed


def clear_cache(
    stores: Stores, *, invocation_name: str | None = None, pipeline_name: str | None = None
) -> int:
    """Delete the cache entries of a step and/or a pipeline (all of them with neither).

    ``invocation_name`` is the step's name in its pipeline (``trainer_2``), as ``cache list``
    shows it.

    The runs keep their records and artifacts; the next run of a cleared step executes it.

    Raises:
        MaintenanceError: no cache entry has this step or pipeline name (with "did you mean";
            clearing the same name twice says so too, so a typo never passes silently).
    """
    metadata = stores.metadata
    removed = metadata.clear_cache_entries(
        invocation_name=invocation_name, pipeline_name=pipeline_name
    )
    if removed or (invocation_name is None and pipeline_name is None):
        return removed
    entries = metadata.list_cache_entries()
    for label, wanted, known in (
        ("step", invocation_name, {entry.invocation_name for entry in entries}),
        ("pipeline", pipeline_name, {entry.pipeline_name for entry in entries}),
    ):
        if wanted is not None and wanted not in known:
            hint = did_you_mean(wanted, sorted(known))
            raise MaintenanceError(
                f"No cache entries for {label} '{wanted}'.{hint} "
                "See them with 'stepstone cache list' (cleared already?)."
            )
    return removed


def prune_cache(stores: Stores, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete cache entries created more than ``older_than`` ago; return how many."""
    cutoff = _now(now) - older_than
    return stores.metadata.clear_cache_entries(older_than=cutoff)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "week", "weeks"), 7 * 86400),
}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or combinations like ``1d12h``.

    Raises:
        ValueError: anything else (the message shows the accepted forms).

    Example:
        >>> parse_duration("1d12h")
        datetime.timedelta(days=1, seconds=43200)
    """
    compact = text.strip().lower().replace(" ", "")
    position, seconds = 0, 0.0
    for match in _DURATION_PART.finditer(compact):
        unit = _UNITS.get(match.group(2))
        if match.start() != position or unit is None:
            break
        seconds += float(match.group(1)) * unit
        position = match.end()
    else:
        if compact and position == len(compact):
            return timedelta(seconds=seconds)
    raise InvalidDurationError(
        f"{text!r} is not a duration: use a number and a unit (s, m, h, d, w), "
        "e.g. 30d, 12h, 90m or 1d12h."
    )
