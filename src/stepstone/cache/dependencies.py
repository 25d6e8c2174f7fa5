"""Declared dependencies: files, directories and environment variables a step reads.

A step that reads external data (a CSV on disk, a table named by an environment variable)
has no input artifact whose content keys the cache. ``@step(cache_depends_on=[...])``
declares what it reads; each entry becomes a key component, hashed by content each time
the step is about to run:

* ``"data/raw.csv"`` or ``Path(...)`` — a file (its bytes) or a directory (every file's
  relative path and bytes, in sorted order); a path that does not exist hashes as missing,
  so creating it later makes the step run;
* ``"env:NAME"`` or ``"$NAME"`` — an environment variable's value (or its absence).

Relative paths are resolved against the working directory of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from blake3 import blake3

_CHUNK = 1 << 20


def dependency_label(spec: str | os.PathLike[str]) -> str:
    """The component name of a declared dependency: ``file:<path>`` or ``env:<NAME>``."""
    if isinstance(spec, str) and spec.startswith(("env:", "$")):
        return "env:" + spec.split(":", 1)[1] if spec.startswith("env:") else "env:" + spec[1:]
    return f"file:{os.fspath(spec)}"


def _hash_file(path: Path, hasher: blake3) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)


def _hash_path(path: Path) -> str:
    if path.is_file():
        hasher = blake3(b"file\0")
        _hash_file(path, hasher)
        return hasher.hexdigest()
    if path.is_dir():
        hasher = blake3(b"dir\0")
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            relative = file.relative_to(path).as_posix().encode()
            hasher.update(len(relative).to_bytes(8, "little") + relative)
            hasher.update(blake3(file.read_bytes()).digest())
        return hasher.hexdigest()
    return "missing"


def hash_dependencies(specs: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """Component name -> content hash of each declared dependency, as it is now."""
    hashes: dict[str, str] = {}
    for spec in specs:
        label = dependency_label(spec)
        if label.startswith("env:"):
            value = os.environ.get(label[4:])
            hashes[label] = "unset" if value is None else blake3(value.encode()).hexdigest()
        else:
            hashes[label] = _hash_path(Path(os.fspath(spec)))
    return hashes
