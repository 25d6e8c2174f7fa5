"""``pathlib.path``: a file or directory returned as a ``Path``, its content copied in.

Why copy: a step that writes ``report.html`` or a checkpoint directory and returns its
path produces *content*, not a location; the location may be a temporary directory that
is gone by the next run. Storing the bytes makes the output cacheable, hashable (so
downstream steps see content changes, not path changes) and loadable anywhere.

Layout: ``path.json`` (``kind`` ``file`` or ``directory``, the base ``name``, and the
directory's empty subdirectories, which have no file to carry them) and the content under
``content/<name>`` (a file) or ``content/<name>/...`` (a tree). The base name is part of
the value, because readers often rely on the extension; permissions and times are not.
Symbolic links are followed (their targets' content is stored).

Loading returns a ``Path`` to the stored copy: for a local store that is the file inside
the store (read-only by convention: changing it damages the artifact, which the next
verified load detects); for a remote store, the files are downloaded into a new
temporary directory that belongs to the caller.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.registry import register_materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["PathMaterializer"]

INDEX_FILE = "path.json"
CONTENT = "content"
_COPY_CHUNK = 8 << 20


def _tree(root: str) -> tuple[list[str], list[str]]:
    """Relative POSIX names of the files and of the empty directories under ``root``,
    sorted; symlinked directories are followed once (a cycle is an error)."""
    files: list[str] = []
    empty: list[str] = []
    seen: set[str] = set()
    for parent, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(parent)
        if real in seen:
            raise ValueError(f"directory {parent!r} links back into itself")
        seen.add(real)
        relative = os.path.relpath(parent, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        files.extend(prefix + name for name in names)
        if not dirs and not names and prefix:
            empty.append(prefix.rstrip("/"))
    return sorted(files), sorted(empty)


def _base_name(path: Path) -> str:
    """The name the user sees (a symlink keeps its own name; ``.`` becomes the folder's)."""
    return os.path.basename(os.path.abspath(path)) or "root"


@register_materializer
class PathMaterializer(Materializer):
    """Saves the file or directory a ``pathlib.Path`` points to; loads a ``Path`` to the
    stored copy.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> (folder / "notes.txt").write_text("hello")
        5
        >>> PathMaterializer().summary(folder / "notes.txt")
        {'kind': 'file', 'name': 'notes.txt', 'files': 1, 'bytes': 5}
    """

    name = "pathlib.path"
    version = "1"
    # Python 3.13 moved the concrete classes to pathlib._local.
    handled_types = ("pathlib.Path", "pathlib._local.Path")

    def can_save(self, value: Any) -> bool:
        return isinstance(value, Path) and (value.is_file() or value.is_dir())

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        path = Path(value)
        name = _base_name(path)
        if path.is_dir():
            files, empty = _tree(str(path))
            index = {"kind": "directory", "name": name, "empty_dirs": empty}
        else:
            files, index = [""], {"kind": "file", "name": name}
        with writer.open(INDEX_FILE) as file:
            file.write(json.dumps(index, sort_keys=True, separators=(",", ":")).encode())
        for relative in files:
            source = os.path.join(path, *relative.split("/")) if relative else str(path)
            target = f"{CONTENT}/{name}/{relative}" if relative else f"{CONTENT}/{name}"
            with open(source, "rb") as src, writer.open(target) as dst:
                shutil.copyfileobj(src, dst, _COPY_CHUNK)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        with reader.open(INDEX_FILE) as file:
            index = json.loads(file.read())
        name = index["name"]
        top = f"{CONTENT}/{name}"
        files = [n for n in reader.names() if n == top or n.startswith(top + "/")]
        local = _local_directory(reader)
        if local is None:
            root = Path(tempfile.mkdtemp(prefix="stepstone-path-"))
            for member in files:
                target = root.joinpath(*member.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                with reader.open(member) as src, open(target, "xb") as dst:
                    shutil.copyfileobj(src, dst, _COPY_CHUNK)
        else:
            root = Path(local)
            for member in files:
                reader.path(member)  # verifies the file (its hash) before it is handed out
        result = root.joinpath(CONTENT, name)
        for empty in index.get("empty_dirs", ()):
            result.joinpath(*empty.split("/")).mkdir(parents=True, exist_ok=True)
        if index["kind"] == "directory":
            result.mkdir(parents=True, exist_ok=True)  # an empty directory has no files
        return result

    def summary(self, value: Any) -> dict[str, Any]:
        path = Path(value)
        if path.is_dir():
            files, _ = _tree(str(path))
            sizes = [os.path.getsize(os.path.join(path, *f.split("/"))) for f in files]
            kind = "directory"
        else:
            sizes, kind = [path.stat().st_size], "file"
        return {"kind": kind, "name": _base_name(path), "files": len(sizes), "bytes": sum(sizes)}


def _local_directory(reader: ArtifactReader) -> str | None:
    """The artifact's directory when it is on the local disk, else None."""
    inner = getattr(reader, "inner", reader)  # see through a verifying reader
    directory = getattr(inner, "directory", None)
    from stepstone.artifacts.files import LocalArtifactReader

    return directory if isinstance(inner, LocalArtifactReader) else None
