"""``numpy.npy``: NumPy arrays and scalars in the standard ``.npy`` format, without pickle.

Registered by type *name* (``"numpy.ndarray"``, ``"numpy.generic"``), so importing
stepstone never imports NumPy; this module only imports it inside methods, which run
only for values that are NumPy objects (so NumPy is already imported).

Why write the ``.npy`` bytes here instead of calling ``np.save``: ``np.save`` writes
through our hashing file object in chunks copied with ``tobytes`` (it only takes its fast
path for real OS files, whose writes we could not hash). We write the same header
``np.save`` would, then the array's memory in one write, hashed on the way: the file
is byte-for-byte what ``np.save`` produces for a C-ordered array. Arrays in any other
layout (Fortran order, strided views) are written in C order, so equal arrays give equal
bytes whatever their memory layout, and ``np.load`` reads them all.

Scalars (``np.float64(1.5)``, ``np.datetime64``…) are stored as 0-d arrays in
``scalar.npy`` and come back as the same NumPy scalar type; a 0-d *array* is stored in
``data.npy`` and comes back as an array. Object arrays and dtypes that need pickle are
declined (``can_save`` is False) and fall through to the pickle fallback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.registry import register_materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["NumpyMaterializer"]

ARRAY_FILE = "data.npy"
SCALAR_FILE = "scalar.npy"

# dtype kinds .npy stores without pickle: bool, ints, floats, complex, timedelta,
# datetime, bytes, unicode, void (raw and structured). Not "O" (objects), not "T"
# (NumPy 2 variable-width strings, which np.save can only pickle).
_PLAIN_KINDS = frozenset("biufcmMSUV")

# np.load refuses headers over 10 kB unless told otherwise (a guard against hostile files);
# arrays with thousands of structured fields have longer ones, and these files are ours.
_MAX_HEADER_SIZE = 1 << 24

# np.save's chunk size for strided arrays: big enough to hide the Python loop.
_CHUNK_BYTES = 16 * 1024 * 1024


def _plain_dtype(dtype: Any) -> bool:
    if dtype.hasobject or dtype.kind not in _PLAIN_KINDS:
        return False
    if dtype.names is not None:
        return all(_plain_dtype(dtype.fields[name][0]) for name in dtype.names)
    return dtype.subdtype is None or _plain_dtype(dtype.subdtype[0])


def write_npy(file: Any, array: Any) -> None:
    """Write ``array`` to a binary file object in ``.npy`` format, in C order.

    Produces exactly ``np.save``'s bytes for C-contiguous arrays; other layouts are
    written as their C-ordered copy would be, chunk by chunk (no full copy in memory).
    """
    import numpy as np

    fmt = np.lib.format
    header = fmt.header_data_from_array_1_0(array)
    header["fortran_order"] = False
    try:
        fmt.write_array_header_1_0(file, header)
    except UnicodeEncodeError:
        # Non-Latin-1 field names need format 3.0; rare, so let numpy write it all.
        # (np.ascontiguousarray would turn a 0-d array into a 1-d one.)
        c_ordered = array if array.flags.c_contiguous else array.copy(order="C")
        fmt.write_array(file, c_ordered, version=(3, 0), allow_pickle=False)
        return
    except ValueError:  # header longer than format 1.0 allows (many fields)
        fmt.write_array_header_2_0(file, header)
    if array.size == 0 or array.itemsize == 0:
        return
    if array.flags.c_contiguous:
        # A flat byte view of the array's memory: no copy, any dtype (structured, M8…).
        file.write(array.reshape(-1).view(np.uint8))
        return
    buffersize = max(_CHUNK_BYTES // array.itemsize, 1)
    chunk: Any
    for chunk in np.nditer(
        array, flags=["external_loop", "buffered", "zerosize_ok"], buffersize=buffersize, order="C"
    ):
        file.write(chunk.tobytes("C"))


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


@register_materializer
class NumpyMaterializer(Materializer):
    """Saves ``numpy.ndarray`` (and ``numpy.memmap``, loaded back as an array) and NumPy
    scalars as ``.npy`` files, never pickled.

    Example:
        >>> import numpy as np
        >>> NumpyMaterializer().summary(np.zeros((2, 3), dtype=np.float32))
        {'shape': [2, 3], 'dtype': 'float32'}
    """

    name = "numpy.npy"
    version = "1"
    handled_types = ("numpy.ndarray", "numpy.generic")

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        import numpy as np

        if issubclass(data_type, np.generic):
            return data_type is not np.object_
        return data_type is np.ndarray or issubclass(data_type, np.memmap)

    def can_save(self, value: Any) -> bool:
        import numpy as np

        cls = type(value)
        if cls is np.ndarray or isinstance(value, np.memmap) or isinstance(value, np.generic):
            return _plain_dtype(value.dtype)
        # Other subclasses (masked arrays, np.matrix) would lose their type or their mask.
        return False

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        import numpy as np

        if isinstance(value, np.generic):
            with writer.open(SCALAR_FILE) as file:
                write_npy(file, np.asarray(value))
            return
        with writer.open(ARRAY_FILE) as file:
            write_npy(file, value)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        import numpy as np

        # The file name says scalar or array; the recorded type saves a stat for arrays.
        if data_type != "numpy.ndarray" and reader.exists(SCALAR_FILE):
            with reader.open(SCALAR_FILE) as file:
                return np.load(file, allow_pickle=False, max_header_size=_MAX_HEADER_SIZE)[()]
        with reader.open(ARRAY_FILE) as file:
            return np.load(file, allow_pickle=False, max_header_size=_MAX_HEADER_SIZE)

    def summary(self, value: Any) -> dict[str, Any]:
        import numpy as np

        summary: dict[str, Any] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        if isinstance(value, np.generic):
            summary["value"] = _short(value)
        return summary
