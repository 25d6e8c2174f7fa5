"""What deleting removed: runs (``stepstone runs delete --json``) and unreferenced artifacts
(``stepstone gc --json``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from stepstone.maintenance import GarbageReport, RunDeletion


class RunDeletionView(BaseModel):
    """What deleting one run removed (``stepstone runs delete --json``)."""

    run_id: str
    run_name: str
    step_runs: int
    cache_entries: int
    artifact_records: int
    files_deleted: int = Field(description="Artifact directories no other record referenced.")
    bytes_freed: int
    files_postponed: int = Field(
        description="Unreferenced directories left for gc because runs are in progress."
    )


class DeletionsDocument(BaseModel):
    """``stepstone runs delete --json``: one entry per deleted run."""

    deleted: list[RunDeletionView]

    @classmethod
    def of(cls, deletions: Iterable[RunDeletion]) -> DeletionsDocument:
        views = [RunDeletionView.model_validate(d, from_attributes=True) for d in deletions]
        return cls(deleted=views)


class GarbageDocument(BaseModel):
    """``stepstone gc --json``: the unreferenced artifacts found, and deleted unless a dry run."""

    dry_run: bool
    content_hashes: list[str]
    artifacts: int = Field(description="How many unreferenced artifacts (content_hashes).")
    bytes: int = Field(description="Their total size: what is, or would be, freed.")
    staging_removed: int | None = Field(description="Staging leftovers removed; null on a dry run.")
    in_progress: list[str] = Field(description="Runs in progress (reported on a dry run or force).")
    staging_leftovers: int
    staging_bytes: int
    kept: list[str] = Field(description="Unreferenced artifacts a run took while the sweep ran.")

    @classmethod
    def of(cls, report: GarbageReport) -> GarbageDocument:
        return cls.model_validate(report, from_attributes=True)
