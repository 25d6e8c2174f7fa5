"""``pyarrow.parquet``: Arrow tables as Parquet, and the Parquet writing shared with pandas.

Why Parquet: columnar, typed (the schema round-trips), compact, and readable by every
data tool. Why fixed writer options: the bytes of a Parquet file depend on the writer's
settings (compression, format version, page sizes, statistics), so every option that
changes bytes is pinned here rather than left to the installed pyarrow's defaults. The
file's footer names the writer (``created_by: parquet-cpp-arrow version X``) but holds
no timestamp or host, so the same table gives the same bytes in every process; a pyarrow
upgrade may change them once (a cached step then looks changed to its consumers once).

Reading: the file is read whole through the verifying stream (hashed as it is read,
one pass), then decoded from memory; Parquet readers jump around a file (the footer
first), which would otherwise need a second pass to hash.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["ArrowTableMaterializer", "read_parquet", "schema_summary", "write_parquet"]

PARQUET_FILE = "data.parquet"
INDEX_FILE = "index.json"

#: Every writer option that changes the bytes. Part of the materializers' versions.
WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "version": "2.6",
    "data_page_version": "1.0",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 20,
    "data_page_size": 1 << 20,
    "store_schema": True,
    "write_page_index": False,
    "write_page_checksum": False,
}


def write_parquet(table: Any, file: Any) -> None:
    """Write an Arrow table to a binary file object with the pinned options."""
    import pyarrow.parquet as pq

    pq.write_table(table, file, **WRITE_OPTIONS)


def read_parquet(reader: ArtifactReader, name: str = PARQUET_FILE) -> Any:
    """Read a Parquet file of the artifact into an Arrow table (one verified pass)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with reader.open(name) as file:
        data = file.read()
    # pyarrow 26's threaded reader can leave a pool thread that aborts the interpreter at
    # exit ("terminate called without an active exception", seen in 1 of 10 processes here);
    # decoding on the calling thread never did in our runs.
    return pq.read_table(pa.py_buffer(data), use_threads=False)


def write_index(writer: ArtifactWriter, index: dict[str, Any]) -> None:
    with writer.open(INDEX_FILE) as file:
        file.write(json.dumps(index, sort_keys=True, separators=(",", ":")).encode())


def read_index(reader: ArtifactReader) -> dict[str, Any]:
    with reader.open(INDEX_FILE) as file:
        index: dict[str, Any] = json.loads(file.read())
    return index


def schema_summary(names: list[str], types: list[str], rows: int) -> dict[str, Any]:
    """``{"rows", "columns", "schema"}`` with at most 20 columns spelled out."""
    return {
        "rows": rows,
        "columns": len(names),
        "schema": {str(name): kind for name, kind in list(zip(names, types, strict=True))[:20]},
    }


class ArrowTableMaterializer(Materializer):
    """Saves ``pyarrow.Table`` as Parquet with pinned writer options.

    Example:
        >>> import pyarrow as pa
        >>> ArrowTableMaterializer().summary(pa.table({"x": [1, 2]}))
        {'rows': 2, 'columns': 1, 'schema': {'x': 'int64'}}
    """

    name = "pyarrow.parquet"
    version = "1"
    handled_types = ("pyarrow.lib.Table",)

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        with writer.open(PARQUET_FILE) as file:
            write_parquet(value, file)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        return read_parquet(reader)

    def summary(self, value: Any) -> dict[str, Any]:
        schema = value.schema
        return schema_summary(schema.names, [str(t) for t in schema.types], value.num_rows)
