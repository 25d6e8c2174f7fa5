"""Shared fixtures: every test gets its own stepstone home unless it asks for another."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepstone.stores import close_all_stores

_STEPSTONE_VARIABLES = (
    "STEPSTONE_HOME",
    "STEPSTONE_METADATA_URL",
    "STEPSTONE_ARTIFACT_ROOT",
    "STEPSTONE_CACHE",
    "STEPSTONE_ALLOW_PICKLE",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh home per test, so no test sees another's runs or the user's real stores."""
    for variable in _STEPSTONE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    home = tmp_path / "stepstone-home"
    monkeypatch.setenv("STEPSTONE_HOME", str(home))
    yield home
    close_all_stores()


def require_servers() -> bool:
    """In CI every server-backed test must run: a missing server fails instead of skipping."""
    return os.environ.get("STEPSTONE_TEST_REQUIRE_SERVERS") == "1"
