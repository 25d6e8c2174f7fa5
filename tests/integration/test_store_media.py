"""Homes on unusual media: a read-only mount can be read, a damaged SQLite file says what to do."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepstone import Client, pipeline, step
from stepstone.exceptions import MetadataStoreError
from stepstone.stores import close_all_stores


@step
def answer() -> int:
    return 42


@pipeline
def tiny() -> None:
    answer()


@pytest.fixture
def read_only_home(isolated_home: Path, tmp_path: Path) -> Iterator[Path]:
    """A populated home seen through a read-only bind mount (needs mount rights, e.g. root)."""
    tiny()
    close_all_stores()
    view = tmp_path / "read-only-view"
    view.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(isolated_home), str(view)], check=False)
    if mounted.returncode != 0:
        pytest.skip("bind mounts need mount rights here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        yield view
    finally:
        close_all_stores()
        subprocess.run(["umount", str(view)], check=True)


def test_read_only_home_is_readable_and_writes_say_why_not(
    read_only_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTONE_HOME", str(read_only_home))
    client = Client()
    (run,) = client.list_runs()
    assert run.status == "completed"
    assert client.get_run("latest").steps["answer"].output.load() == 42
    with pytest.raises(MetadataStoreError, match=r"read-only.*writes need a writable home"):
        tiny()
    listed = subprocess.run(
        ["stepstone", "runs", "list"], capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0 and run.name[:20] in listed.stdout


def test_damaged_sqlite_file_names_it_and_says_how_to_start_over(isolated_home: Path) -> None:
    tiny()
    close_all_stores()
    database = isolated_home / "metadata.db"
    with database.open("r+b") as file:
        file.write(b"not a database header, garbage!!")
    with pytest.raises(MetadataStoreError) as info:
        Client().list_runs()
    message = str(info.value)
    assert str(database) in message
    assert "Artifacts are stored apart from it and are intact" in message
    assert "move the damaged file aside" in message
