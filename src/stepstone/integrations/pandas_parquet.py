"""``pandas.parquet``: pandas DataFrames and Series as Parquet (through pyarrow).

A frame goes through ``pyarrow.Table.from_pandas``, whose schema metadata records the
index, column labels and dtypes, so ``to_pandas`` restores them: a ``RangeIndex`` costs
nothing, other indexes become columns, categoricals, time zones and nullable dtypes come
back as they were. Bytes are deterministic as for :mod:`.parquet` (pinned writer
options; the metadata names the pandas and pyarrow versions, no time or host).

A Series is stored as a one-column frame; ``index.json`` says so and keeps its name.
Frames Arrow cannot represent (object columns of mixed Python objects, duplicate column
names) are declined, and fall to the pickle fallback with its warning, rather than failing
the step: ``can_save`` converts such frames once and hands the table to ``save``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.materializers.builtin_json import decode, encode, is_encodable
from stepstone.integrations.parquet import (
    PARQUET_FILE,
    read_index,
    read_parquet,
    schema_summary,
    write_index,
    write_parquet,
)

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["PandasParquetMaterializer"]

_SERIES_COLUMN = "__series__"

# can_save's conversion, kept for the save that follows it (same thread, same value).
_converted = threading.local()


def _to_table(value: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    kept = getattr(_converted, "slot", None)
    if kept is not None and kept[0] is value:
        _converted.slot = None
        return kept[1]
    frame = value.to_frame(name=_SERIES_COLUMN) if isinstance(value, pd.Series) else value
    return pa.Table.from_pandas(frame, preserve_index=None)


class PandasParquetMaterializer(Materializer):
    """Saves ``pandas.DataFrame`` and ``pandas.Series`` as Parquet with pinned options.

    Example:
        >>> import pandas as pd
        >>> PandasParquetMaterializer().summary(pd.DataFrame({"x": [1, 2]}))
        {'rows': 2, 'columns': 1, 'schema': {'x': 'int64'}}
    """

    name = "pandas.parquet"
    version = "1"
    handled_types = (
        "pandas.DataFrame",
        "pandas.Series",
        "pandas.core.frame.DataFrame",
        "pandas.core.series.Series",
    )

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        import pandas as pd

        return issubclass(data_type, (pd.DataFrame, pd.Series))

    def can_save(self, value: Any) -> bool:
        import pandas as pd

        if not isinstance(value, (pd.DataFrame, pd.Series)):
            return False
        if isinstance(value, pd.Series):
            if not is_encodable(value.name):
                return False
            risky = value.dtype.kind == "O"
        else:
            if not value.columns.is_unique:
                return False
            risky = any(dtype.kind == "O" for dtype in value.dtypes)
        if not risky:
            return True
        try:
            table = _to_table(value)
        except Exception:
            return False
        _converted.slot = (value, table)
        return True

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        import pandas as pd

        table = _to_table(value)
        if isinstance(value, pd.Series):
            write_index(writer, {"kind": "series", "name": encode(value.name).decode()})
        else:
            write_index(writer, {"kind": "frame"})
        with writer.open(PARQUET_FILE) as file:
            write_parquet(table, file)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        index = read_index(reader)
        frame = read_parquet(reader).to_pandas()
        if index["kind"] == "series":
            series = frame[_SERIES_COLUMN]
            series.name = decode(index["name"].encode())
            return series
        return frame

    def summary(self, value: Any) -> dict[str, Any]:
        import pandas as pd

        if isinstance(value, pd.Series):
            summary = schema_summary([str(value.name)], [str(value.dtype)], len(value))
            summary["kind"] = "series"
            return summary
        names = [str(c) for c in value.columns[:20]]
        types = [str(t) for t in value.dtypes.iloc[:20]]
        summary = schema_summary(names, types, len(value))
        summary["columns"] = value.shape[1]
        return summary
