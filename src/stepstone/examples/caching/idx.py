"""Read and write IDX files, the format MNIST is distributed in (plain or gzip-compressed).

An IDX file is a 4-byte magic number, one big-endian 32-bit size per dimension, then the
values in C order, big-endian:

* magic: two zero bytes, a type code, and the number of dimensions;
* type codes: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32,
  ``0x0D`` float32, ``0x0E`` float64.

MNIST's images are ``idx3`` (count x 28 x 28 uint8) and its labels ``idx1`` (count uint8).
A file whose name ends in ``.gz`` is read and written through gzip; the writer fixes the
gzip header's time stamp and file name, so the same array always gives the same bytes.

>>> import numpy as np, tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder) / "labels-idx1-ubyte.gz"
...     _ = write_idx(path, np.arange(5, dtype=np.uint8))
...     read_idx(path).tolist()
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import numpy as np

__all__ = ["IdxFormatError", "read_idx", "write_idx"]

_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[str, int] = {dtype.newbyteorder("=").str[1:]: code for code, dtype in _DTYPES.items()}


class IdxFormatError(ValueError):
    """A file is not a valid IDX file; the message names the file and what is wrong."""


def _read_bytes(path: Path) -> bytes:
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as handle:
            return handle.read()
    return path.read_bytes()


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` is decompressed), in native byte order.

    Raises:
        IdxFormatError: bad magic number, unknown type code, or a size that does not match
            the header (a truncated download, say).
    """
    path = Path(path)
    try:
        data = _read_bytes(path)
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise IdxFormatError(f"Cannot read IDX file {path}: {exc}") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IdxFormatError(
            f"{path} is not an IDX file: it starts with {data[:4].hex() or 'nothing'}, "
            "but an IDX file starts with two zero bytes, a type code and a dimension count "
            "(e.g. 00000803 for MNIST images). Is it still compressed, or another format?"
        )
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _DTYPES)
        raise IdxFormatError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known}).")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFormatError(f"{path}: header announces {ndim} dimensions but the file ends.")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise IdxFormatError(
            f"{path}: header says shape {shape} ({expected:,} bytes of data), but the file "
            f"holds {len(data) - header:,}. The file is truncated or corrupt; fetch it again."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed if the name ends in ``.gz``).

    Raises:
        IdxFormatError: the dtype has no IDX type code, or a dimension exceeds 2**32 - 1.
    """
    path = Path(path)
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=").str[1:] if array.dtype.byteorder != "|" else None
    key = key or array.dtype.str[1:]
    code = _CODES.get(key)
    if code is None:
        raise IdxFormatError(
            f"Cannot write {array.dtype} to IDX: supported are uint8, int8, int16, int32, "
            "float32 and float64."
        )
    if array.ndim > 255 or any(size >= 2**32 for size in array.shape):
        raise IdxFormatError(f"Cannot write shape {array.shape} to IDX: too large.")
    buffer = io.BytesIO()
    buffer.write(bytes([0, 0, code, array.ndim]))
    for size in array.shape:
        buffer.write(int(size).to_bytes(4, "big"))
    buffer.write(np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    data = buffer.getvalue()
    # mtime=0 and no file name in the gzip header: equal arrays give equal bytes.
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path
