"""``polars.parquet``: polars DataFrames and Series as Parquet, written by polars itself.

Polars writes Parquet natively (no pyarrow needed). Every option that changes bytes is
pinned (compression and level, statistics, row group size); polars' footer names the
writer (``Polars``) without time or host, so the same frame gives the same bytes in
every process. A Series is stored as a one-column frame (its name is the column's).
The file is read whole through the verifying stream, then decoded from memory.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer
from stepstone.integrations.parquet import PARQUET_FILE, read_index, schema_summary, write_index

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["PolarsParquetMaterializer"]

WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "statistics": True,
    "row_group_size": 1 << 20,
    "use_pyarrow": False,
}


class PolarsParquetMaterializer(Materializer):
    """Saves ``polars.DataFrame`` and ``polars.Series`` as Parquet with pinned options.

    Example:
        >>> import polars as pl
        >>> PolarsParquetMaterializer().summary(pl.DataFrame({"x": [1, 2]}))
        {'rows': 2, 'columns': 1, 'schema': {'x': 'Int64'}}
    """

    name = "polars.parquet"
    version = "1"
    handled_types = ("polars.dataframe.frame.DataFrame", "polars.series.series.Series")

    def can_save(self, value: Any) -> bool:
        import polars as pl

        frame = value.to_frame() if isinstance(value, pl.Series) else value
        # Object columns hold arbitrary Python values: Parquet cannot store them.
        return not any(dtype == pl.Object for dtype in frame.dtypes)

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        import polars as pl

        if isinstance(value, pl.Series):
            write_index(writer, {"kind": "series"})
            value = value.to_frame()
        else:
            write_index(writer, {"kind": "frame"})
        # Polars needs to seek while writing: write to memory, then stream it (hashed).
        buffer = io.BytesIO()
        value.write_parquet(buffer, **WRITE_OPTIONS)
        with writer.open(PARQUET_FILE) as file:
            file.write(buffer.getbuffer())

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        import polars as pl

        index = read_index(reader)
        with reader.open(PARQUET_FILE) as file:
            frame = pl.read_parquet(io.BytesIO(file.read()))
        return frame.to_series(0) if index["kind"] == "series" else frame

    def summary(self, value: Any) -> dict[str, Any]:
        import polars as pl

        frame = value.to_frame() if isinstance(value, pl.Series) else value
        schema = frame.schema
        summary = schema_summary(
            list(schema.names()), [str(t) for t in schema.dtypes()], len(frame)
        )
        if isinstance(value, pl.Series):
            summary["kind"] = "series"
        return summary
