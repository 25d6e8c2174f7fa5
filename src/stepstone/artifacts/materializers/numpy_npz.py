"""``numpy.npz``: a dict, tuple or list of NumPy arrays as one ``.npz`` artifact.

Why one artifact rather than one per array: a step that returns ``{"X": X, "y": y}``
declares one output, and its consumers want the pair back. Why ``.npz``: it is the
format ``np.load`` opens, so the stored file is useful outside stepstone too.

Why not ``np.savez``: it stamps every zip member with the current time, so the same
arrays would give different bytes (and content hashes) on every save. This writes the
zip itself: members in a canonical order (dict keys sorted, so equal dicts give equal
bytes whatever their insertion order; loaded dicts come back with sorted keys), a fixed
timestamp (1980-01-01, the zip epoch), fixed permissions and "created by Unix" on every
OS, no compression (arrays rarely compress, and stored members load fastest), and data
descriptors instead of seeking back to patch headers, so the file is hashed as it is
written. Each member is the ``.npy`` bytes :func:`.numpy_npy.write_npy` produces.

``index.json`` records the container kind (dict, tuple or list) and the keys, so a tuple
comes back a tuple. Only exact ``dict``/``tuple``/``list`` of plain (non-object) arrays
qualify; anything else is left to other materializers.
"""

from __future__ import annotations

import json
import sys
import zipfile
from typing import IO, TYPE_CHECKING, Any, cast

from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.materializers.numpy_npy import _plain_dtype, write_npy
from stepstone.artifacts.registry import register_materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["NumpyNpzMaterializer", "write_npz"]

NPZ_FILE = "arrays.npz"
INDEX_FILE = "index.json"

_EPOCH = (1980, 1, 1, 0, 0, 0)
_UNIX = 3
# Members from 2 GiB on need zip64 headers; decided by size alone, so deterministic.
_ZIP64_FROM = 1 << 31


class _Unseekable:
    """Hides ``seek`` from :mod:`zipfile`, which then writes data descriptors instead of
    seeking back to patch local headers (that would make the streamed hash void)."""

    def __init__(self, file: Any) -> None:
        self._file = file

    def write(self, data: Any) -> int:
        return int(self._file.write(data))

    def tell(self) -> int:
        return int(self._file.tell())

    def seek(self, *args: Any) -> int:
        raise OSError("not seekable")

    def flush(self) -> None:
        self._file.flush()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = _UNIX
    info.external_attr = 0o100644 << 16
    return info


def write_npz(file: Any, arrays: list[tuple[str, Any]]) -> None:
    """Write ``(name, array)`` pairs, in the order given, as a deterministic ``.npz``."""
    sink = cast("IO[bytes]", _Unseekable(file))
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays:
            nbytes = array.nbytes + 4096  # header included, generously
            with archive.open(
                _member(name + ".npy"), "w", force_zip64=nbytes >= _ZIP64_FROM
            ) as out:
                write_npy(out, array)


def _is_plain_array(value: Any, np: Any) -> bool:
    return type(value) is np.ndarray and _plain_dtype(value.dtype)


@register_materializer
class NumpyNpzMaterializer(Materializer):
    """Saves a ``dict`` (string keys), ``tuple`` or ``list`` of NumPy arrays as one
    deterministic ``.npz`` file; loads it back as the same kind of container.

    Example:
        >>> import numpy as np
        >>> NumpyNpzMaterializer().can_save({"X": np.zeros((2, 3)), "y": np.ones(2)})
        True
        >>> NumpyNpzMaterializer().summary({"X": np.zeros((2, 3)), "y": np.ones(2)})
        {'kind': 'dict', 'arrays': {'X': {'shape': [2, 3], 'dtype': 'float64'}, \
'y': {'shape': [2], 'dtype': 'float64'}}}
    """

    name = "numpy.npz"
    version = "1"
    # ``np.load(..., allow_pickle=False)``: bad bytes fail or give wrong arrays.
    safe_on_damaged_bytes = True
    handled_types = ("builtins.dict", "builtins.tuple", "builtins.list")

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        return False  # only the values decide: dict[str, int] is JSON, not arrays

    def can_save(self, value: Any) -> bool:
        np = sys.modules.get("numpy")
        if np is None or not value:
            return False  # no NumPy imported: this cannot be a container of arrays
        if type(value) is dict:
            return all(
                type(key) is str and _is_plain_array(item, np) for key, item in value.items()
            )
        return all(_is_plain_array(item, np) for item in value)

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        if type(value) is dict:
            keys = sorted(value)
            arrays = [(key, value[key]) for key in keys]
            index: dict[str, Any] = {"kind": "dict", "keys": keys}
        else:
            arrays = [(str(i), item) for i, item in enumerate(value)]
            index = {"kind": type(value).__name__, "length": len(value)}
        with writer.open(INDEX_FILE) as file:
            file.write(json.dumps(index, sort_keys=True, separators=(",", ":")).encode())
        with writer.open(NPZ_FILE) as file:
            write_npz(file, arrays)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        import numpy as np

        with reader.open(INDEX_FILE) as file:
            index = json.loads(file.read())
        # A path: zip reading seeks around; the file is hashed once before numpy opens it.
        with np.load(reader.path(NPZ_FILE), allow_pickle=False) as npz:
            if index["kind"] == "dict":
                return {key: npz[key + ".npy"] for key in index["keys"]}
            items = [npz[f"{i}.npy"] for i in range(index["length"])]
        return tuple(items) if index["kind"] == "tuple" else items

    def summary(self, value: Any) -> dict[str, Any]:
        items = value.items() if type(value) is dict else enumerate(value)
        shapes = {
            str(key): {"shape": list(item.shape), "dtype": str(item.dtype)}
            for key, item in list(items)[:20]
        }
        summary: dict[str, Any] = {"kind": type(value).__name__, "arrays": shapes}
        if len(value) > 20:
            summary["count"] = len(value)
        return summary
