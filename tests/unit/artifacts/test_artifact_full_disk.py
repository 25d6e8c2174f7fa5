"""A save refused for lack of room says so, names where, and leaves nothing behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stepstone.artifacts import ArtifactStore, Materializer
from stepstone.artifacts.hashing import MEMORY_LIMIT
from stepstone.exceptions import ArtifactStoreError, ArtifactStoreFullError, MaterializerError


class _DeviceFull(Materializer):
    """Writes half an artifact, then has its "library" write to a full device.

    ``/dev/full`` answers every write with the kernel's real ENOSPC: what a materializer
    writing to a full file system gets, without mounting one.
    """

    name = "test.device-full"

    def save(self, value: Any, writer: Any) -> None:
        with writer.open("head") as file:
            file.write(b"x" * (MEMORY_LIMIT + 1))  # spills: the staging folder exists
        with open("/dev/full", "wb", buffering=0) as device:
            device.write(value)

    def load(self, reader: Any, data_type: str | None) -> Any:
        raise AssertionError("never stored")


def _leftovers(store: ArtifactStore) -> list[str]:
    root = Path(store.root)
    staging_dir = Path(store.staging_dir)
    staging = [p.name for p in staging_dir.iterdir()] if staging_dir.exists() else []
    published = [p.name for p in root.glob("??/*")]
    return staging + published


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_no_space_is_the_stores_problem_not_the_materializers(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactStoreFullError) as info:
        store.save(b"payload", materializer=_DeviceFull)
    message = str(info.value)
    assert message.startswith(f"No space left on device under {store.root}; free space or ")
    assert "move the artifact root" in message
    assert "Fix the materializer" not in message
    assert isinstance(info.value, ArtifactStoreError)
    assert not isinstance(info.value, MaterializerError)
    assert _leftovers(store) == []


def test_a_file_size_limit_is_reported_the_same_way(
    tmp_path: Path, run_python: Callable[..., str]
) -> None:
    """A real write past RLIMIT_FSIZE (EFBIG) by the real NumPy materializer, in a subprocess."""
    out = run_python(
        """
import resource, signal, sys
from pathlib import Path
import numpy as np
from stepstone.artifacts import ArtifactStore
from stepstone.exceptions import ArtifactStoreFullError
store = ArtifactStore(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # fail the write instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, resource.RLIM_INFINITY))
try:
    store.save(np.ones(2 << 20))                 # 16 MB
except ArtifactStoreFullError as exc:
    print(exc)
staging = Path(store.staging_dir)
print(sorted(p.name for p in staging.iterdir()) if staging.exists() else [])
print(sorted(p.name for p in Path(store.root).glob("??/*")))
""",
        str(tmp_path / "artifacts"),
    )
    message, staging, published = out.splitlines()
    assert message.startswith(
        "File too large for the file system or the process's file-size limit under "
        f"{tmp_path / 'artifacts'}; raise the limit (ulimit -f) or move the artifact root"
    )
    assert (staging, published) == ("[]", "[]")
