"""What a garbage collector handles beside the stored artifacts: set-aside copies, staging.

:meth:`~stepstone.artifacts.store.ArtifactStore.set_aside` returns a :class:`SetAside`;
:meth:`~stepstone.artifacts.store.ArtifactStore.staging_leftovers` lists
:class:`StagingLeftover` entries, whose writer is known from the entry's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SetAside:
    """An artifact a sweep took out of sight: where it is now and its mtime then."""

    content_hash: str
    location: str
    modified_at: float


@dataclass(frozen=True, slots=True)
class StagingLeftover:
    """A staging entry of an interrupted write: its path, bytes, and writer (pid, host)."""

    path: str
    size: int
    writer: tuple[int, str] | None


def size_on_disk(path: str) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                continue  # removed meanwhile
    return total
