"""Built-in formats beyond JSON and .npy: containers of arrays, typed records, paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest

from stepstone.artifacts import ArtifactStore, materializer_for_type, materializer_for_value
from stepstone.exceptions import PickleFallbackWarning

# -- dicts, tuples and lists of arrays: one .npz --------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"X": np.arange(12.0).reshape(3, 4), "y": np.array([1, 0, 1], dtype=np.int8)},
        (np.zeros((2, 2), dtype=np.float32), np.array(["a", "bc"])),
        [np.arange(3), np.array([True, False])],
        {"fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "empty": np.zeros((0, 3))},
    ],
    ids=["dict", "tuple", "list", "layouts"],
)
def test_containers_of_arrays_round_trip(store: ArtifactStore, value: Any) -> None:
    stored = store.save(value)
    assert stored.materializer == "numpy.npz"
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(back) is type(value)
    if isinstance(value, dict):
        pairs = [(value[key], back[key]) for key in value]
    else:
        pairs = list(zip(value, back, strict=True))
    for original, loaded in pairs:
        assert loaded.dtype == original.dtype
        assert np.array_equal(loaded, original)
    if isinstance(value, dict):
        assert list(back) == sorted(value)


def test_npz_is_standard_and_timeless(store: ArtifactStore) -> None:
    value = {"b": np.arange(3), "a": np.ones(2)}
    stored = store.save(value)
    with zipfile.ZipFile(Path(stored.uri) / "arrays.npz") as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["a.npy", "b.npy"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    with np.load(Path(stored.uri) / "arrays.npz") as npz:
        assert np.array_equal(npz["b"], value["b"])
    # Insertion order does not change the bytes.
    assert store.save({"a": np.ones(2), "b": np.arange(3)}) == stored


def test_npz_summary_and_what_it_declines(store: ArtifactStore) -> None:
    stored = store.save({"X": np.zeros((2, 3))})
    assert stored.summary == {
        "kind": "dict",
        "arrays": {"X": {"shape": [2, 3], "dtype": "float64"}},
    }
    assert materializer_for_value({}).name == "builtins.json"
    assert materializer_for_value((1, 2)).name == "builtins.json"
    assert materializer_for_value({1: np.zeros(1)}) is None  # keys must be strings
    assert materializer_for_value([np.zeros(1, dtype=object)]) is None
    assert materializer_for_type(dict[str, int]).name == "builtins.json"


# -- dataclasses and pydantic models --------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Inner:
    when: dt.date
    tags: frozenset[str] = frozenset()


@dataclasses.dataclass
class Config:
    lr: float
    layers: tuple[int, ...]
    color: Color
    inner: Inner
    notes: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    path: Path | None = None


class Metrics(pydantic.BaseModel):
    accuracy: float
    per_class: dict[str, float]
    config: Config
    when: dt.datetime


CONFIG = Config(
    lr=1e-3,
    layers=(64, 32),
    color=Color.BLUE,
    inner=Inner(dt.date(2024, 2, 29), frozenset({"b", "a"})),
    notes={"z": [0.5], "a": [1.0, -0.0]},
    path=Path("data/train.csv"),
)
METRICS = Metrics(
    accuracy=0.93,
    per_class={"cat": 0.9, "dog": 0.96},
    config=CONFIG,
    when=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
)


@pytest.mark.parametrize(
    ("value", "materializer"),
    [(CONFIG, "dataclass.json"), (METRICS, "pydantic.json")],
    ids=["dataclass", "pydantic"],
)
def test_records_round_trip_as_json(store: ArtifactStore, value: Any, materializer: str) -> None:
    stored = store.save(value)
    assert stored.materializer == materializer
    assert stored.data_type == f"{__name__}.{type(value).__qualname__}"
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(back) is type(value)
    assert back == value
    text = (Path(stored.uri) / "data.json").read_text()
    assert text.startswith('{"type":') and "pickle" not in text
    assert materializer_for_type(type(value)).name == materializer
    assert stored.summary["fields"][0] in ("lr", "accuracy")


def test_records_that_would_not_come_back_equal_are_pickled(store: ArtifactStore) -> None:
    @dataclasses.dataclass
    class Local:  # not importable from another process
        x: int

    assert materializer_for_value(Local(1)) is None

    nan = dataclasses.replace(CONFIG, lr=float("nan"))  # JSON would turn NaN into null
    assert materializer_for_value(nan) is None
    with pytest.warns(PickleFallbackWarning):
        assert store.save(nan).materializer == "cloudpickle"


def test_a_plain_object_is_not_claimed_by_the_dataclass_materializer(
    store: ArtifactStore,
) -> None:
    class Plain:
        pass

    with pytest.warns(PickleFallbackWarning, match="No materializer handles"):
        store.save(Plain())


# -- pathlib.Path ---------------------------------------------------------------------------------


def test_a_file_path_is_stored_by_content(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "report.html"
    source.write_text("<p>ok</p>")
    stored = store.save(source)
    assert stored.materializer == "pathlib.path"
    assert stored.summary == {"kind": "file", "name": "report.html", "files": 1, "bytes": 9}
    source.unlink()  # the original may be gone: the store keeps the content
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert isinstance(loaded, Path)
    assert loaded.name == "report.html"
    assert loaded.read_text() == "<p>ok</p>"
    assert str(loaded).startswith(store.root)


def test_a_directory_path_is_stored_whole(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "checkpoint"
    (source / "weights").mkdir(parents=True)
    (source / "empty").mkdir()
    (source / "config.json").write_text("{}")
    (source / "weights" / "a.bin").write_bytes(b"\x00\x01")
    stored = store.save(source)
    assert stored.summary == {"kind": "directory", "name": "checkpoint", "files": 2, "bytes": 4}
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert loaded.name == "checkpoint"
    assert sorted(p.relative_to(loaded).as_posix() for p in loaded.rglob("*")) == [
        "config.json",
        "empty",
        "weights",
        "weights/a.bin",
    ]
    # Same content elsewhere, same artifact; other content, another one.
    copy = tmp_path / "elsewhere" / "checkpoint"
    copy.parent.mkdir()
    source.rename(copy)
    assert store.save(copy) == stored
    (copy / "config.json").write_text('{"changed": 1}')
    assert store.save(copy).content_hash != stored.content_hash


def test_a_path_from_a_remote_store_is_a_local_copy(tmp_path: Path) -> None:
    store = ArtifactStore(f"memory://stepstone-tests/{tmp_path.name}", staging_dir=str(tmp_path))
    source = tmp_path / "model.txt"
    source.write_text("weights")
    stored = store.save(source)
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert loaded.read_text() == "weights"
    assert loaded.name == "model.txt"


def test_a_missing_path_is_not_claimed(tmp_path: Path) -> None:
    assert materializer_for_value(tmp_path / "nope") is None
