"""Stores that need no disk: an in-memory SQLite database and an fsspec memory artifact root."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepstone.config import Settings
from stepstone.stores import Stores


def memory_stores(tmp_path: Path, *, cache: bool = True) -> Stores:
    return Stores(
        Settings(
            home=tmp_path,
            metadata_url="sqlite://",
            artifact_root=f"memory://unit-{uuid.uuid4().hex}",
            cache=cache,
        )
    )


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    opened = memory_stores(tmp_path)
    yield opened
    opened.close()
