"""pandas, pyarrow and polars: Parquet round trips, deterministic bytes, summaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stepstone.artifacts import ArtifactStore, materializer_for_type, materializer_for_value
from stepstone.exceptions import PickleFallbackWarning

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pq = pytest.importorskip("pyarrow.parquet")

FRAMES = {
    "mixed": lambda: pd.DataFrame(
        {
            "i": np.arange(5, dtype=np.int32),
            "f": [0.5, np.nan, 1.5, -0.0, 2.0],
            "s": ["a", "b", None, "d", "e"],
            "c": pd.Categorical(["x", "y", "x", "x", "y"]),
            "t": pd.date_range("2024-01-01", periods=5, tz="Europe/Paris"),
            "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        }
    ),
    "labelled-index": lambda: pd.DataFrame(
        {0: [1.5, 2.5], 1: [3, 4]}, index=pd.Index(["r1", "r2"], name="row")
    ),
    "multi-index": lambda: pd.DataFrame(
        {"v": [1, 2, 3, 4]},
        index=pd.MultiIndex.from_product([["a", "b"], [1, 2]], names=["k", "j"]),
    ),
    "empty": lambda: pd.DataFrame({"x": pd.Series([], dtype="float64")}),
}


@pytest.mark.parametrize("make", FRAMES.values(), ids=FRAMES.keys())
def test_pandas_frames_round_trip(store: ArtifactStore, make: Callable[[], Any]) -> None:
    frame = make()
    stored = store.save(frame)
    assert stored.materializer == "pandas.parquet"
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    pd.testing.assert_frame_equal(back, frame)
    assert stored.summary["rows"] == len(frame)
    assert stored.summary["columns"] == frame.shape[1]


@pytest.mark.parametrize("name", ["target", None, 3, ("a", 1)])
def test_pandas_series_round_trip_with_their_name(store: ArtifactStore, name: Any) -> None:
    series = pd.Series([1.0, 2.0, None], name=name, index=[10, 20, 30])
    stored = store.save(series)
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    pd.testing.assert_series_equal(back, series)
    assert stored.summary["kind"] == "series"


def test_pandas_summary_is_small_for_wide_frames(store: ArtifactStore) -> None:
    wide = pd.DataFrame(np.zeros((2, 500)), columns=[f"c{i}" for i in range(500)])
    summary = store.save(wide).summary
    assert summary["columns"] == 500
    assert len(summary["schema"]) == 20


def test_pandas_frames_arrow_cannot_store_fall_back_to_pickle(store: ArtifactStore) -> None:
    frame = pd.DataFrame({"o": [object(), 1]})
    with pytest.warns(PickleFallbackWarning, match="declined by pandas.parquet"):
        assert store.save(frame).materializer == "cloudpickle"


def test_the_file_is_plain_parquet(store: ArtifactStore) -> None:
    stored = store.save(pd.DataFrame({"x": [1, 2]}))
    table = pq.read_table(Path(stored.uri) / "data.parquet")
    assert table.column("x").to_pylist() == [1, 2]
    assert materializer_for_type(pd.DataFrame).name == "pandas.parquet"


def test_arrow_tables_round_trip(store: ArtifactStore) -> None:
    table = pa.table(
        {"x": pa.array([1, None, 3], pa.int16()), "y": [["a"], [], ["b", "c"]], "z": [1.5, 2, 3]}
    )
    stored = store.save(table)
    assert stored.materializer == "pyarrow.parquet"
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert back.equals(table)
    assert back.schema.equals(table.schema)
    assert stored.summary == {
        "rows": 3,
        "columns": 3,
        "schema": {"x": "int16", "y": "list<item: string>", "z": "double"},
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: pl.DataFrame(
            {
                "i": [1, 2, None],
                "s": ["a", None, "c"],
                "l": [[1], [], [2, 3]],
                "c": pl.Series(["x", "y", "x"], dtype=pl.Categorical),
                "d": pl.Series([1, 2, 3]).cast(pl.Datetime("ms", "UTC")),
            }
        ),
        lambda: pl.DataFrame({"e": pl.Series([], dtype=pl.Float32)}),
        lambda: pl.Series("named", [1.5, None, 2.5]),
    ],
    ids=["frame", "empty", "series"],
)
def test_polars_round_trips(store: ArtifactStore, make: Callable[[], Any]) -> None:
    value = make()
    stored = store.save(value)
    assert stored.materializer == "polars.parquet"
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(back) is type(value)
    assert back.equals(value)
    if isinstance(value, pl.DataFrame):
        assert back.schema == value.schema
    else:
        assert (back.name, back.dtype) == (value.name, value.dtype)


def test_polars_object_columns_are_declined() -> None:
    frame = pl.DataFrame({"o": pl.Series([object()], dtype=pl.Object)})
    assert materializer_for_value(frame) is None  # polars cannot even pickle them


PANDAS = "import numpy as np, pandas as pd"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("materializer", "setup", "expression"),
    [
        (
            "pandas.parquet",
            PANDAS,
            "pd.DataFrame({'x': np.arange(1000), 's': [str(i % 7) for i in range(1000)],"
            " 'c': pd.Categorical(['a', 'b'] * 500), 'set': [f'{i}' for i in range(1000)]})",
        ),
        ("pandas.parquet", PANDAS, "pd.Series(np.linspace(0, 1, 50), name='w')"),
        (
            "pyarrow.parquet",
            "import pyarrow as pa",
            "pa.table({'x': list(range(100)), 'y': [{'k': i} for i in range(100)]})",
        ),
        (
            "polars.parquet",
            "import polars as pl",
            "pl.DataFrame({'x': range(1000), 'y': [str(i) for i in range(1000)]})",
        ),
    ],
    ids=["pandas-frame", "pandas-series", "arrow", "polars"],
)
def test_same_bytes_in_every_process(
    same_hash_in_fresh_processes: Callable[[str, str, str], str],
    store: ArtifactStore,
    materializer: str,
    setup: str,
    expression: str,
) -> None:
    content_hash = same_hash_in_fresh_processes(materializer, setup, expression)
    namespace: dict[str, Any] = {}
    exec(setup, namespace)
    assert store.save(eval(expression, namespace)).content_hash == content_hash
