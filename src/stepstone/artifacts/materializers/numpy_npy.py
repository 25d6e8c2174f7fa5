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

Loading a large array (16 MiB and up) from a local store builds it on a private,
copy-on-write memory map of the stored file (:meth:`ArtifactReader.map`) instead of
reading it into new memory: a verified load is then one pass (the hash) over pages the
page cache already holds, and an unverified or already-verified one is instant (pages
come in as they are touched). The array is a plain writable ``ndarray``; writes stay
in the process. The price: the array keeps the file's pages referenced while it lives
(a deleted artifact's disk space is freed when the array is), and the stored files must
never be rewritten in place, which the store never does (it renames and unlinks only).
Remote stores and Windows read into memory as before.

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

# From this size on, a local array is loaded onto a memory map of its file (below it, a
# read is as cheap and leaves no mapping behind).
_MAP_MIN_BYTES = 16 << 20

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


def read_npy(file: Any) -> Any:
    """Read an ``.npy`` stream written by :func:`write_npy` (or ``np.save``), without pickle.

    Why not ``np.load``: given anything but a real OS file (here, a file that verifies
    the content hash as it is read), ``np.load`` copies the data in 256 KiB pieces. This
    reads straight into the new array's memory in one ``readinto``, which the verifying
    file splits so that hashing overlaps reading.
    """
    import numpy as np

    fmt = np.lib.format
    version = fmt.read_magic(file)
    if version == (1, 0):
        shape, fortran_order, dtype = fmt.read_array_header_1_0(file, _MAX_HEADER_SIZE)
    elif version == (2, 0):
        shape, fortran_order, dtype = fmt.read_array_header_2_0(file, _MAX_HEADER_SIZE)
    else:  # format 3.0 (non-Latin-1 field names): rare, let numpy read it
        file.seek(0)
        return np.load(file, allow_pickle=False, max_header_size=_MAX_HEADER_SIZE)
    if dtype.hasobject:
        raise ValueError("the .npy data holds Python objects, which need pickle")
    count = 1
    for extent in shape:
        count *= extent
    flat = np.empty(count, dtype=dtype)
    if count and dtype.itemsize:
        view = flat.view(np.uint8).data
        done = 0
        while done < len(view):
            got = file.readinto(view[done:])
            if not got:
                raise ValueError(f"the .npy data ends after {done} of {len(view)} bytes")
            done += got
    if fortran_order:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def map_npy(mapped: Any) -> Any:
    """An array built on a memory-mapped ``.npy`` file (``ArtifactReader.map``), no copy.

    The map is private and writable (copy-on-write), so the array behaves like any
    loaded array: writable, and never writing back to the store.
    """
    import numpy as np

    fmt = np.lib.format
    version = fmt.read_magic(mapped)
    if version == (1, 0):
        shape, fortran_order, dtype = fmt.read_array_header_1_0(mapped, _MAX_HEADER_SIZE)
    elif version == (2, 0):
        shape, fortran_order, dtype = fmt.read_array_header_2_0(mapped, _MAX_HEADER_SIZE)
    else:
        mapped.seek(0)
        return read_npy(mapped)
    if dtype.hasobject:
        raise ValueError("the .npy data holds Python objects, which need pickle")
    count = 1
    for extent in shape:
        count *= extent
    if not count or not dtype.itemsize:
        flat = np.empty(count, dtype=dtype)
    else:
        flat = np.frombuffer(mapped, dtype=dtype, count=count, offset=mapped.tell())
    if fortran_order:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


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
    # a ``.npy`` header is parsed with ``allow_pickle=False``: bad bytes fail or give a wrong array.
    safe_on_damaged_bytes = True
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
        # The file name says scalar or array; the recorded type saves a stat for arrays.
        if data_type != "numpy.ndarray" and reader.exists(SCALAR_FILE):
            with reader.open(SCALAR_FILE) as file:
                return read_npy(file)[()]
        # Large arrays are built on a map of the stored file: verified by hashing the
        # map, they cost one pass over the data instead of a copy plus a hash.
        mapped = reader.map(ARRAY_FILE)
        if mapped is not None and len(mapped) >= _MAP_MIN_BYTES:
            return map_npy(mapped)
        if mapped is not None:
            mapped.close()
        with reader.open(ARRAY_FILE) as file:
            return read_npy(file)

    def summary(self, value: Any) -> dict[str, Any]:
        import numpy as np

        summary: dict[str, Any] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        if isinstance(value, np.generic):
            summary["value"] = _short(value)
        return summary
