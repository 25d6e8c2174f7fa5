"""The registry's state, and the catalog of materializers that are imported only when needed.

Materializers for third-party libraries live in :mod:`stepstone.integrations`. Importing
them eagerly would be cheap (none imports its library at module level), but listing them
here *by name* costs nothing at all and keeps ``import stepstone.artifacts`` free of
them: :data:`LAZY_MATERIALIZERS` says which type names and which materializer names each
integration serves (and which package extra installs the libraries it imports), and the
registry imports the integration the first time a value of one of those types is saved or
an artifact written by it is loaded.

Lazily resolved materializers rank *below* every explicit registration for the same
type, whenever either happens: a user's ``@register_materializer(pd.DataFrame)`` always
beats the built-in Parquet materializer, even if the user registered first.
"""

from __future__ import annotations

import importlib
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from stepstone.artifacts.materializer import Materializer, qualname_of

__all__ = ["LAZY_MATERIALIZERS", "LazyMaterializer", "Registry"]


@dataclass(frozen=True, slots=True)
class LazyMaterializer:
    """A materializer known by import path until first use.

    Attributes:
        name: the materializer's ``name`` (recorded with its artifacts).
        target: ``"module:ClassName"`` to import.
        handled_types: ``"module.QualName"`` of the types it serves, exactly as the
            classes spell themselves (``"pandas.core.frame.DataFrame"``).
        integration: the package extra that installs what it needs
            (``stepstone integration install <integration>``).
        imports: the top-level modules it imports; ``stepstone integration list`` calls an
            integration installed only when every one of them can be found.
    """

    name: str
    target: str
    handled_types: tuple[str, ...]
    integration: str
    imports: tuple[str, ...]


_I = "stepstone.integrations."

#: Every built-in lazily imported materializer. A test imports each and checks these names
#: against the classes, and its module's imports against ``imports``, so the catalog cannot
#: drift from the code.
LAZY_MATERIALIZERS: tuple[LazyMaterializer, ...] = (
    LazyMaterializer(
        "pandas.parquet",
        _I + "pandas_parquet:PandasParquetMaterializer",
        # pandas 3 spells its classes "pandas.DataFrame"; pandas 2 by their module.
        (
            "pandas.DataFrame",
            "pandas.Series",
            "pandas.core.frame.DataFrame",
            "pandas.core.series.Series",
        ),
        integration="pandas",
        imports=("pandas", "pyarrow"),
    ),
    LazyMaterializer(
        "pyarrow.parquet",
        _I + "parquet:ArrowTableMaterializer",
        ("pyarrow.lib.Table",),
        integration="pyarrow",
        imports=("pyarrow",),
    ),
    LazyMaterializer(
        "polars.parquet",
        _I + "polars_parquet:PolarsParquetMaterializer",
        ("polars.dataframe.frame.DataFrame", "polars.series.series.Series"),
        integration="polars",
        imports=("polars",),
    ),
    LazyMaterializer(
        "sklearn.state",
        _I + "sklearn_state:SklearnStateMaterializer",
        ("sklearn.base.BaseEstimator",),
        integration="sklearn",
        imports=("sklearn", "numpy"),
    ),
    LazyMaterializer(
        "torch.safetensors",
        _I + "torch_safetensors:TorchTensorMaterializer",
        ("torch.Tensor",),
        integration="torch",
        imports=("torch", "safetensors"),
    ),
    LazyMaterializer(
        "torch.module",
        _I + "torch_safetensors:TorchModuleMaterializer",
        ("torch.nn.modules.module.Module",),
        integration="torch",
        imports=("torch", "safetensors"),
    ),
    LazyMaterializer(
        "keras.model",
        _I + "keras_format:KerasModelMaterializer",
        ("keras.src.models.model.Model",),
        integration="keras",
        imports=("keras",),
    ),
)


def import_target(target: str) -> Any:
    """Import ``"module:Qual.Name"`` and return the object."""
    module_name, _, qualname = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


State = tuple[
    dict[str, list[type[Materializer]]],
    dict[str, type[Materializer]],
    dict[str, list[LazyMaterializer]],
    dict[str, LazyMaterializer],
]


class Registry:
    """Mutable registry state, behind one lock; lookups read without locking (GIL-atomic)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_type: dict[str, list[type[Materializer]]] = {}
        self.by_name: dict[str, type[Materializer]] = {}
        # Not yet imported: type name -> lazies serving it; materializer name -> lazy.
        self.lazy_types: dict[str, list[LazyMaterializer]] = {}
        self.lazy_names: dict[str, LazyMaterializer] = {}
        self.value_cache: weakref.WeakKeyDictionary[type, tuple[type[Materializer], ...]] = (
            weakref.WeakKeyDictionary()
        )
        self.annotation_cache: dict[Any, type[Materializer] | None] = {}
        self.pickle_warned: set[str] = set()

    def snapshot(self) -> State:
        """Copy of the registrations, for tests that register throwaway materializers."""
        return (
            {k: list(v) for k, v in self.by_type.items()},
            dict(self.by_name),
            {k: list(v) for k, v in self.lazy_types.items()},
            dict(self.lazy_names),
        )

    def restore(self, state: State) -> None:
        with self.lock:
            self.by_type = {k: list(v) for k, v in state[0].items()}
            self.by_name = dict(state[1])
            self.lazy_types = {k: list(v) for k, v in state[2].items()}
            self.lazy_names = dict(state[3])
            self._invalidate()

    def add(self, key: str, cls: type[Materializer], *, last: bool = False) -> None:
        """Register ``cls`` for type name ``key``: first in line, or ``last`` (lazies)."""
        with self.lock:
            candidates = self.by_type.setdefault(key, [])
            if cls in candidates:
                candidates.remove(cls)
            if last:
                candidates.append(cls)
            else:
                candidates.insert(0, cls)  # later registrations win
            self.by_name[cls.name] = cls
            self._invalidate()

    def add_name(self, cls: type[Materializer]) -> None:
        with self.lock:
            self.by_name[cls.name] = cls

    def remember(self, cls: type[Materializer]) -> None:
        """Make a materializer used explicitly findable by name, unless the name is taken."""
        if cls.name not in self.by_name:
            with self.lock:
                self.by_name.setdefault(cls.name, cls)

    def add_lazy(self, lazy: LazyMaterializer) -> None:
        with self.lock:
            for key in lazy.handled_types:
                self.lazy_types.setdefault(key, []).append(lazy)
            self.lazy_names[lazy.name] = lazy
            self._invalidate()

    def resolve_lazy(self, lazy: LazyMaterializer) -> type[Materializer]:
        """Import a lazy materializer and register it (last in line) for its types."""
        cls = import_target(lazy.target)
        if not (isinstance(cls, type) and issubclass(cls, Materializer)) or cls.name != lazy.name:
            raise TypeError(f"{lazy.target} is not the materializer {lazy.name!r}")
        with self.lock:
            for key in lazy.handled_types:
                pending = self.lazy_types.get(key, [])
                if lazy in pending:
                    pending.remove(lazy)
                if not pending:
                    self.lazy_types.pop(key, None)
            self.lazy_names.pop(lazy.name, None)
        for key in lazy.handled_types:
            self.add(key, cls, last=True)
        return cls

    def resolve_name(self, name: str) -> type[Materializer] | None:
        """The materializer called ``name``, importing a lazy one if need be."""
        cls = self.by_name.get(name)
        if cls is None and name in self.lazy_names:
            cls = self.resolve_lazy(self.lazy_names[name])
        return cls

    def resolve_all(self) -> None:
        """Import every lazy materializer (for listing them)."""
        for lazy in list(self.lazy_names.values()):
            self.resolve_lazy(lazy)

    def _invalidate(self) -> None:
        self.value_cache = weakref.WeakKeyDictionary()
        self.annotation_cache = {}

    def by_type_name(self, key: str) -> list[type[Materializer]]:
        """Materializers registered for exactly this type name (resolving lazies)."""
        for lazy in list(self.lazy_types.get(key, ())):
            self.resolve_lazy(lazy)
        return self.by_type.get(key, [])

    def candidates(self, cls: type) -> tuple[type[Materializer], ...]:
        """Materializers for instances of ``cls``: MRO order, newest registration first."""
        cache = self.value_cache
        try:
            return cache[cls]
        except KeyError:
            pass
        names = [qualname_of(base) for base in cls.__mro__]
        if self.lazy_types:
            for name in names:
                for lazy in list(self.lazy_types.get(name, ())):
                    self.resolve_lazy(lazy)
            cache = self.value_cache  # resolving replaced it
        by_type = self.by_type
        found: list[type[Materializer]] = []
        for name in names:
            for materializer in by_type.get(name, ()):
                if materializer not in found:
                    found.append(materializer)
        result = tuple(found)
        try:
            cache[cls] = result
        except TypeError:  # pragma: no cover - classes that refuse weak references
            pass
        return result
