"""Every test gets its own stepstone home; shared fixtures live in tests/shared_fixtures.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from s3_servers import moto_s3, seaweedfs_s3
from stepstone.stores import close_all_stores

__all__ = ["moto_s3", "seaweedfs_s3"]  # session fixtures: real S3 servers on 127.0.0.1

# Not "fixtures": pytest already has a plugin of that name, so it would be ignored.
pytest_plugins = ["shared_fixtures"]

_STEPSTONE_VARIABLES = (
    "STEPSTONE_HOME",
    "STEPSTONE_METADATA_URL",
    "STEPSTONE_ARTIFACT_ROOT",
    "STEPSTONE_CACHE",
    "STEPSTONE_ALLOW_PICKLE",
    "STEPSTONE_CACHE_REMOTE",
    "STEPSTONE_REQUIRE_SIGNED",
    "STEPSTONE_SIGNING_KEY",
    "STEPSTONE_TRUSTED_KEYS",
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
