"""Materializer registry: registration forms, MRO resolution, annotations, names."""

from __future__ import annotations

import collections
import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, TypeVar, Union

import numpy as np
import pytest

from stepstone.artifacts import (
    ArtifactReader,
    ArtifactStore,
    ArtifactWriter,
    Materializer,
    get_materializer,
    materializer_for_type,
    materializer_for_value,
    register_materializer,
    registered_materializers,
    registry_snapshot,
)
from stepstone.artifacts.materializers import (
    BuiltinsJsonMaterializer,
    CloudpickleMaterializer,
    NumpyMaterializer,
)
from stepstone.exceptions import MaterializerError, PickleFallbackWarning


class Shape:
    def __init__(self, sides: int) -> None:
        self.sides = sides


class Square(Shape):
    def __init__(self) -> None:
        super().__init__(4)


class ShapeMaterializer(Materializer):
    name = "test.shape"
    version = "1"

    def save(self, value: Shape, writer: ArtifactWriter) -> None:
        with writer.open("sides.txt", "w") as file:
            file.write(str(value.sides))

    def load(self, reader: ArtifactReader, data_type: str | None) -> Shape:
        with reader.open("sides.txt", "r") as file:
            return (
                Square() if data_type and data_type.endswith("Square") else Shape(int(file.read()))
            )

    def summary(self, value: Shape) -> dict[str, Any]:
        return {"sides": value.sides}


class SquareMaterializer(ShapeMaterializer):
    name = "test.square"


def test_builtins_are_registered() -> None:
    rows = registered_materializers()
    names = [row.name for row in rows]
    assert names == sorted(names)
    known = {row.name: row for row in rows}
    for cls in (BuiltinsJsonMaterializer, NumpyMaterializer, CloudpickleMaterializer):
        row = known[cls.name]
        assert (row.version, row.module) == (cls.version, cls.__module__)
        assert get_materializer(cls.name) is cls
    assert "numpy.ndarray" in known["numpy.npy"].handled_types
    assert "builtins.dict" in known["builtins.json"].handled_types
    assert known["cloudpickle"].uses_pickle
    assert not known["numpy.npy"].uses_pickle


def test_resolution_walks_the_mro_most_specific_first() -> None:
    register_materializer(Shape, ShapeMaterializer)
    assert materializer_for_value(Square()) is ShapeMaterializer
    register_materializer(Square, SquareMaterializer)
    assert materializer_for_value(Square()) is SquareMaterializer
    assert materializer_for_value(Shape(3)) is ShapeMaterializer


def test_later_registrations_win() -> None:
    register_materializer(Shape, SquareMaterializer)
    register_materializer(Shape, ShapeMaterializer)
    assert materializer_for_value(Shape(3)) is ShapeMaterializer
    register_materializer(Shape, SquareMaterializer)  # re-registering moves it to the front
    assert materializer_for_value(Shape(3)) is SquareMaterializer


def test_registration_by_qualified_name_needs_no_import() -> None:
    register_materializer(f"{__name__}.Shape", ShapeMaterializer)
    assert materializer_for_value(Square()) is ShapeMaterializer
    # A name nobody imports is simply never matched.
    register_materializer("not_installed_library.Thing", ShapeMaterializer)


def test_a_materializer_that_declines_passes_to_the_next_candidate() -> None:
    class OnlyTriangles(ShapeMaterializer):
        name = "test.triangles"

        def can_save(self, value: Shape) -> bool:
            return value.sides == 3

    register_materializer(Shape, ShapeMaterializer)
    register_materializer(Square, OnlyTriangles)
    assert materializer_for_value(Square()) is ShapeMaterializer
    assert materializer_for_value(Shape(3)) is ShapeMaterializer
    register_materializer(Shape, OnlyTriangles)
    assert materializer_for_value(Shape(3)) is OnlyTriangles


def test_decorator_forms(store: ArtifactStore) -> None:
    class Token:
        def __init__(self, text: str) -> None:
            self.text = text

    @register_materializer(Token)
    class TokenMaterializer(Materializer):
        name = "test.token"
        version = "7"

        def save(self, value: Token, writer: ArtifactWriter) -> None:
            with writer.open("token", "w") as file:
                file.write(value.text)

        def load(self, reader: ArtifactReader, data_type: str | None) -> Token:
            with reader.open("token", "r") as file:
                return Token(file.read())

    assert isinstance(TokenMaterializer, type)  # the decorator returns the class itself
    stored = store.save(Token("héllo\n"))
    assert (stored.materializer, stored.materializer_version) == ("test.token", "7")
    assert stored.data_type.endswith("test_decorator_forms.<locals>.Token")
    assert store.load(stored.uri, stored.materializer, stored.data_type).text == "héllo\n"
    with store.open_reader(stored.uri) as reader, reader.open("token") as file:
        assert file.read() == "héllo\n".encode()  # UTF-8, newline kept as written


def test_bare_decorator_registers_handled_types() -> None:
    @register_materializer
    class Both(ShapeMaterializer):
        name = "test.both"
        handled_types = (Shape, "collections.OrderedDict")

    assert materializer_for_value(Shape(1)) is Both
    assert materializer_for_value(collections.OrderedDict()) is Both
    assert get_materializer("test.both") is Both


def test_bad_registrations_are_type_errors() -> None:
    with pytest.raises(TypeError, match="Materializer subclass"):
        register_materializer(Shape, object)  # type: ignore[type-var]
    with pytest.raises(TypeError, match=r"builtins\.Shape"):
        register_materializer("Shape", ShapeMaterializer)
    with pytest.raises(TypeError, match=r"class or a 'module\.QualName'"):
        register_materializer(3, ShapeMaterializer)  # type: ignore[call-overload]


def test_unnamed_materializers_get_a_loadable_default_name() -> None:
    class Unnamed(ShapeMaterializer):
        pass

    assert (
        Unnamed.name
        == f"{__name__}:test_unnamed_materializers_get_a_loadable_default_name.<locals>.Unnamed"
    )
    assert SquareMaterializer.name == "test.square"  # set explicitly: kept


USER_MATERIALIZERS = textwrap.dedent(
    """
    from pathlib import Path
    from stepstone.artifacts import Materializer

    Path(__file__).with_name("imported.txt").write_text("module code ran")

    class Custom(Materializer):
        def save(self, value, writer):
            pass

        def load(self, reader, data_type):
            return "loaded"
    """
)


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module defining a materializer that is not imported; it leaves a file when it is."""
    (tmp_path / "user_materializers.py").write_text(USER_MATERIALIZERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path / "imported.txt"
    sys.modules.pop("user_materializers", None)


def test_a_stored_name_never_imports_a_module_by_itself(user_module: Path) -> None:
    with pytest.raises(MaterializerError) as info:
        get_materializer("user_materializers:Custom")
    assert not user_module.exists()  # the module's code did not run
    message = str(info.value)
    assert "'user_materializers:Custom' is not registered in this process" in message
    assert "Import 'user_materializers' before loading" in message
    assert "'materializers' setting" in message and "STEPSTONE_MATERIALIZERS" in message


def test_default_names_load_from_an_imported_module(user_module: Path) -> None:
    importlib.import_module("user_materializers")
    cls = get_materializer("user_materializers:Custom")
    assert cls.__name__ == "Custom"
    assert "user_materializers:Custom" in {row.name for row in registered_materializers()}
    with pytest.raises(MaterializerError, match="No materializer named 'user_materializers:Nope'"):
        get_materializer("user_materializers:Nope")


def test_the_materializers_setting_allows_importing_a_named_one(
    user_module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTONE_MATERIALIZERS", "user_materializers:Custom")
    from stepstone.stores import get_stores

    stores = get_stores()
    assert stores.settings.materializers == ("user_materializers:Custom",)
    stored = stores.artifacts.save("x", materializer=BuiltinsJsonMaterializer)
    assert stores.artifacts.load(stored.uri, "user_materializers:Custom") == "loaded"
    assert user_module.read_text() == "module code ran"


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(
        MaterializerError,
        match=r"No materializer named 'numpy\.npyy'\. Did you mean 'numpy\.npy'\?",
    ) as info:
        get_materializer("numpy.npyy")
    assert "builtins.json, cloudpickle" in str(info.value)
    with pytest.raises(MaterializerError, match="Known materializers") as info:
        get_materializer("zzz")
    assert "Did you mean" not in str(info.value)


def test_unregistered_types_fall_back_to_pickle_only_when_asked() -> None:
    assert materializer_for_value(Shape(2)) is None  # silent
    assert materializer_for_value([1, object()]) is None  # declined by builtins.json
    with pytest.warns(PickleFallbackWarning, match=r"register_materializer\(Shape\)"):
        assert materializer_for_value(Shape(2), fallback=True) is CloudpickleMaterializer
    assert materializer_for_value({"a": 1}, fallback=True) is BuiltinsJsonMaterializer


T = TypeVar("T")
Pair = collections.namedtuple("Pair", "a b")


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, BuiltinsJsonMaterializer),
        (bool, BuiltinsJsonMaterializer),
        (None, BuiltinsJsonMaterializer),
        (type(None), BuiltinsJsonMaterializer),
        (np.ndarray, NumpyMaterializer),
        (np.float32, NumpyMaterializer),
        ("numpy.ndarray", NumpyMaterializer),
        (Annotated[np.ndarray, "X_train"], NumpyMaterializer),
        (Annotated[dict[str, int], "counts"], BuiltinsJsonMaterializer),
        (Optional[int], BuiltinsJsonMaterializer),  # noqa: UP045 - the spelling under test
        (int | str | None, BuiltinsJsonMaterializer),
        (Union[int, np.ndarray], None),  # noqa: UP007 - the spelling under test
        (np.ndarray | None, None),
        (list[int], BuiltinsJsonMaterializer),
        (dict[str, list[float]], BuiltinsJsonMaterializer),
        (tuple[int, ...], BuiltinsJsonMaterializer),
        (list[np.ndarray], None),
        (Literal["a", 1, None], BuiltinsJsonMaterializer),
        (Any, None),
        (T, None),
        (Pair, None),
        (collections.OrderedDict, None),
        (Shape, None),
        ("no.such.Type", None),
    ],
)
def test_annotations_resolve(annotation: Any, expected: type[Materializer] | None) -> None:
    assert materializer_for_type(annotation) is expected


def test_annotations_see_registrations() -> None:
    assert materializer_for_type(Annotated[Square, "s"]) is None
    register_materializer(Shape, ShapeMaterializer)
    assert materializer_for_type(Annotated[Square, "s"]) is ShapeMaterializer
    assert materializer_for_type(Annotated[Square, {"unhashable": []}]) is ShapeMaterializer


def test_type_hint_chooses_the_materializer(store: ArtifactStore) -> None:
    register_materializer(Shape, ShapeMaterializer)
    register_materializer(Square, SquareMaterializer)
    assert store.save(Square()).materializer == "test.square"
    assert store.save(Square(), type_hint=Annotated[Shape, "out"]).materializer == "test.shape"
    # A hint whose materializer cannot save the value is ignored, not an error.
    assert store.save({"a": 1}, type_hint=np.ndarray).materializer == "builtins.json"


def test_explicit_materializer_wins(store: ArtifactStore) -> None:
    stored = store.save(Square(), materializer=ShapeMaterializer)
    assert stored.materializer == "test.shape"
    assert stored.summary == {"sides": 4}
    assert isinstance(store.load(stored.uri, "test.shape", stored.data_type), Square)
    by_name = store.save([1, 2], materializer="cloudpickle")
    assert by_name.materializer == "cloudpickle"
    assert store.load(by_name.uri, by_name.materializer) == [1, 2]


def test_explicit_materializer_that_cannot_save_is_an_error(store: ArtifactStore) -> None:
    with pytest.raises(
        MaterializerError, match=r"'numpy\.npy' cannot save a value of type 'builtins\.dict'"
    ):
        store.save({"a": 1}, materializer=NumpyMaterializer)


def test_a_registry_snapshot_undoes_registrations_and_pickle_warnings(
    store: ArtifactStore,
) -> None:
    class Gadget:
        pass

    before = registered_materializers()
    with registry_snapshot():
        register_materializer(Shape, ShapeMaterializer)
        assert materializer_for_value(Shape(3)) is ShapeMaterializer
        assert get_materializer("test.shape") is ShapeMaterializer
        with pytest.warns(PickleFallbackWarning):
            store.save(Gadget())
    assert registered_materializers() == before
    assert materializer_for_value(Shape(3)) is None
    with pytest.raises(MaterializerError):
        get_materializer("test.shape")
    with registry_snapshot(), pytest.warns(PickleFallbackWarning):  # warned again: forgotten
        store.save(Gadget())
