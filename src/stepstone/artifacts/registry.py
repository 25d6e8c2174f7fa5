"""Which materializer saves which type: registration, lookup, and the choice for a value.

Types are registered by their ``"module.QualName"`` string, never by class object,
so a materializer for a heavy library (``"numpy.ndarray"``, ``"torch.Tensor"``) can be
registered without importing that library: a value is matched by walking the names of
the classes in its type's MRO (most specific first). Nothing is imported to classify a
value; if the value exists, its library is already imported. Materializers of the
built-in integrations are listed by name in :mod:`.catalog` and imported on first use.

Resolution for a value: for each class in ``type(value).__mro__``, the materializers
registered for that class name, newest first, are asked ``can_save(value)``; the first
yes wins. If none says yes, :func:`materializer_for_value` answers None, and
:meth:`ArtifactStore.save` pickles the value with cloudpickle and emits a
:class:`~stepstone.exceptions.PickleFallbackWarning` once per type per process
(pickles are tied to Python and library versions, so users should hear about it, once).

A materializer chosen by the user (``@step(materializers=...)``, ``save(materializer=)``)
wins over all of that: see :func:`materializer_for`.

Resolution for an annotation (:func:`materializer_for_type`, in :mod:`.annotations`)
has no value to ask, so it uses :meth:`Materializer.handles_type` and gives up (returns
None) when the answer would depend on the value, e.g. ``Optional[np.ndarray]``.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from stepstone.artifacts.catalog import LAZY_MATERIALIZERS, Registry, import_target
from stepstone.artifacts.materializer import Materializer, qualname_of
from stepstone.exceptions import (
    MaterializerError,
    MaterializerRegistrationError,
    PickleFallbackWarning,
    did_you_mean,
)
from stepstone.warn import warn_user

__all__ = [
    "MaterializerInfo",
    "allow_materializer_imports",
    "get_materializer",
    "materializer_for",
    "materializer_for_type",
    "materializer_for_value",
    "register_materializer",
    "registered_materializers",
    "registry_snapshot",
    "resolve_materializer",
]

M = TypeVar("M", bound=type[Materializer])

_registry = Registry()
for _lazy in LAZY_MATERIALIZERS:
    _registry.add_lazy(_lazy)
del _lazy


def _type_key(type_or_qualname: type | str) -> str:
    if isinstance(type_or_qualname, str):
        if "." not in type_or_qualname:
            raise MaterializerRegistrationError(
                f"register types by class or by 'module.QualName', not {type_or_qualname!r}"
                f" (for a builtin, 'builtins.{type_or_qualname}')"
            )
        return type_or_qualname
    if isinstance(type_or_qualname, type):
        return qualname_of(type_or_qualname)
    raise MaterializerRegistrationError(
        f"expected a class or a 'module.QualName' string, got {type_or_qualname!r}"
    )


def _check_materializer(cls: object) -> type[Materializer]:
    if not (isinstance(cls, type) and issubclass(cls, Materializer)):
        raise MaterializerRegistrationError(f"expected a Materializer subclass, got {cls!r}")
    if not isinstance(cls.name, str) or not cls.name:
        raise MaterializerRegistrationError(
            f"materializer {cls.__qualname__} needs a non-empty string 'name'"
        )
    if not isinstance(cls.version, str) or not cls.version:
        raise MaterializerRegistrationError(
            f"materializer {cls.__qualname__} needs a non-empty string 'version'"
        )
    return cls


@overload
def register_materializer(  # type: ignore[overload-overlap]
    type_or_qualname: M, materializer_cls: None = None
) -> M: ...
@overload
def register_materializer(
    type_or_qualname: type | str, materializer_cls: None = None
) -> typing.Callable[[M], M]: ...
@overload
def register_materializer(type_or_qualname: type | str, materializer_cls: M) -> M: ...


def register_materializer(type_or_qualname: Any, materializer_cls: Any = None) -> Any:
    """Register a materializer for a type; later registrations win.

    Three forms:

    * ``register_materializer(MyType, MyMaterializer)`` registers for one type;
    * ``@register_materializer(MyType)`` (or ``"pkg.module.MyType"``) decorates the class;
    * ``register_materializer(MyMaterializer)`` (or bare ``@register_materializer``)
      registers it for each of its ``handled_types``.

    A type registered by name is matched without importing its module; the name is the
    class's own ``__module__`` and ``__qualname__`` (``qualname_of(cls)``: NumPy's array is
    ``"numpy.ndarray"``, pandas 2's frame ``"pandas.core.frame.DataFrame"``). Registering
    also makes the materializer findable by its ``name`` for loading.

    Example:
        >>> from stepstone.artifacts import Materializer, register_materializer
        >>> @register_materializer("fractions.Fraction")
        ... class FractionMaterializer(Materializer):
        ...     name = "example.fraction"
        ...     def save(self, value, writer):
        ...         writer.open("data", "w").write(str(value))
        ...     def load(self, reader, data_type):
        ...         import fractions
        ...         return fractions.Fraction(reader.open("data", "r").read())
    """
    if materializer_cls is not None:
        cls = _check_materializer(materializer_cls)
        _registry.add(_type_key(type_or_qualname), cls)
        return cls
    if isinstance(type_or_qualname, type) and issubclass(type_or_qualname, Materializer):
        cls = _check_materializer(type_or_qualname)
        _registry.add_name(cls)
        for handled in cls.handled_types:
            _registry.add(_type_key(handled), cls)
        return cls
    key = _type_key(type_or_qualname)

    def decorator(cls: M) -> M:
        _registry.add(key, _check_materializer(cls))
        return cls

    return decorator


@dataclass(frozen=True, slots=True)
class MaterializerInfo:
    """One row of ``stepstone materializers``.

    Attributes:
        name: recorded with every artifact it writes.
        version: format version (part of each step's output spec).
        handled_types: ``"module.QualName"`` of the types it is registered for.
        module: where the class is defined.
        uses_pickle: whether loading its artifacts unpickles (refused where pickle is off).
    """

    name: str
    version: str
    handled_types: tuple[str, ...]
    module: str
    uses_pickle: bool


def registered_materializers() -> list[MaterializerInfo]:
    """Every materializer known by name, sorted by name: what ``stepstone materializers``
    lists. Imports the built-in integrations (cheap: none imports its library).

    Example:
        >>> [row.name for row in registered_materializers()][:2]
        ['builtins.json', 'cloudpickle']
    """
    _registry.resolve_all()
    handled: dict[str, list[str]] = {}
    for key, classes in _registry.by_type.items():
        for cls in classes:
            handled.setdefault(cls.name, []).append(key)
    return [
        MaterializerInfo(
            name=name,
            version=cls.version,
            handled_types=tuple(sorted(handled.get(name, ()))),
            module=cls.__module__,
            uses_pickle=cls.uses_pickle,
        )
        for name, cls in sorted(_registry.by_name.items())
    ]


@contextmanager
def registry_snapshot() -> Iterator[None]:
    """Undo every registration made inside the block, and start it with no pickle warned about.

    For tests and notebooks that register throwaway materializers: afterwards the registry is
    exactly as before, and the once-per-type :class:`PickleFallbackWarning` is as before too.

    Example:
        >>> with registry_snapshot():
        ...     _ = register_materializer("mylib.Thing", get_materializer("builtins.json"))
        >>> "mylib.Thing" in {t for m in registered_materializers() for t in m.handled_types}
        False
    """
    state = _registry.snapshot()
    warned = set(_registry.pickle_warned)
    _registry.pickle_warned.clear()
    try:
        yield
    finally:
        _registry.restore(state)
        _registry.pickle_warned.clear()
        _registry.pickle_warned.update(warned)


#: ``module:Class`` names the user allowed loading to import (the ``materializers`` setting).
_IMPORTABLE: set[str] = set()


def allow_materializer_imports(names: Iterable[str]) -> None:
    """Let :func:`get_materializer` import these ``module:Class`` names, in this process.

    The ``materializers`` setting (``STEPSTONE_MATERIALIZERS``) lands here when a store opens:
    the user's own materializers, named as they are recorded, for a process that loads their
    artifacts without importing the module that defines them.
    """
    _IMPORTABLE.update(names)


def get_materializer(name: str) -> type[Materializer]:
    """Return the materializer registered under ``name`` (as recorded with an artifact).

    A built-in integration is imported on demand. A name of the form
    ``"package.module:ClassName"`` (the default name of a materializer that does not set
    one) is found in its module when that module is already imported, and imported only when
    the ``materializers`` setting lists it: the name comes from a stored record (a database
    row, a remote's entry), and importing a module runs its code, so a damaged or hostile
    record must not choose what is imported.

    Raises:
        MaterializerError: no materializer has this name (the message lists the known names
            and the closest match), or it names a module that may not be imported.
    """
    cls = _registry.resolve_name(name)
    if cls is not None:
        return cls
    if ":" in name:
        module = name.partition(":")[0]
        if name not in _IMPORTABLE and module not in sys.modules:
            raise MaterializerError(
                f"Materializer {name!r} is not registered in this process, and its module "
                f"{module!r} is not imported. stepstone does not import a module because a "
                "stored record names it (importing runs the module's code). Import "
                f"{module!r} before loading, or list {name!r} in the 'materializers' setting "
                "(config.toml, or STEPSTONE_MATERIALIZERS)."
            )
        cls = _import_materializer(name)
        if cls is not None:
            return cls
    known = sorted({*_registry.by_name, *_registry.lazy_names})
    raise MaterializerError(
        f"No materializer named {name!r}.{did_you_mean(name, known)} Known materializers: "
        f"{', '.join(known)}. If the artifact was written by your own materializer, import the "
        "module that registers it before loading."
    )


def _import_materializer(name: str) -> type[Materializer] | None:
    try:
        target = import_target(name)
    except (ImportError, AttributeError):
        return None
    if isinstance(target, type) and issubclass(target, Materializer) and target.name == name:
        _registry.add_name(target)
        return target
    return None


def resolve_materializer(spec: type[Materializer] | str) -> type[Materializer]:
    """A materializer given by class or by registered name, checked and made loadable.

    For ``@step(materializers={"output": MyMaterializer})``: call it when planning, so
    a bad entry fails before anything runs. The class becomes findable by its name in this
    process, so what it writes loads even if it was never registered.

    Raises:
        MaterializerError: an unknown name.
        MaterializerRegistrationError: not a Materializer subclass or name (a TypeError).
    """
    cls = get_materializer(spec) if isinstance(spec, str) else spec
    if not (isinstance(cls, type) and issubclass(cls, Materializer)):
        raise MaterializerRegistrationError(
            f"a materializer must be a Materializer subclass or name, not {cls!r}"
        )
    _registry.remember(_check_materializer(cls))
    return cls


def fallback_materializer() -> type[Materializer]:
    """The materializer used when no registered one can save a value (cloudpickle)."""
    from stepstone.artifacts.materializers.pickled import CloudpickleMaterializer

    return CloudpickleMaterializer


@overload
def materializer_for_value(value: Any, *, fallback: Literal[True]) -> type[Materializer]: ...
@overload
def materializer_for_value(value: Any, *, fallback: bool = False) -> type[Materializer] | None: ...


def materializer_for_value(value: Any, *, fallback: bool = False) -> type[Materializer] | None:
    """Return the materializer registered for ``value``'s type that can save it, or None.

    None means only the pickle fallback would take it (the run driver refuses such values
    as literal parameters). With ``fallback=True`` the answer is what
    :meth:`ArtifactStore.save` uses: the pickle fallback instead of None, with a
    :class:`~stepstone.exceptions.PickleFallbackWarning` the first time (per process) a
    value of a given type falls back.

    Example:
        >>> materializer_for_value({"a": 1}).name
        'builtins.json'
        >>> materializer_for_value(object()) is None
        True
    """
    if fallback:
        return _select_for_value(value)
    for materializer in _registry.candidates(type(value)):
        if materializer().can_save(value):
            return materializer
    return None


def materializer_for(
    value: Any,
    *,
    preferred: type[Materializer] | str | None = None,
    type_hint: object | None = None,
) -> type[Materializer]:
    """The materializer that will save ``value``: what a step output goes through.

    In order: ``preferred`` (a class or registered name, e.g. from
    ``@step(materializers={"output": MyMaterializer})``), which must accept the value;
    else the one registered for ``type_hint`` (the output's annotation) if it accepts the
    value; else the one registered for the value's type; else cloudpickle, with a
    :class:`~stepstone.exceptions.PickleFallbackWarning` once per type.

    Raises:
        MaterializerError: ``preferred`` cannot save this value, or is an unknown name.

    Example:
        >>> import numpy as np
        >>> materializer_for(np.zeros(3)).name
        'numpy.npy'
        >>> materializer_for({"a": 1}, preferred="cloudpickle").name
        'cloudpickle'
    """
    if preferred is not None:
        cls = resolve_materializer(preferred)
        if not cls().can_save(value):
            raise MaterializerError(
                f"Materializer {cls.name!r} cannot save a value of type "
                f"{qualname_of(type(value))!r}. Pick another materializer, or leave it "
                "out to choose one by the value's type."
            )
        return cls
    if type_hint is not None:
        from stepstone.artifacts.annotations import materializer_for_type

        hinted = materializer_for_type(type_hint)
        if hinted is not None and hinted().can_save(value):
            return hinted
    return _select_for_value(value)


def _select_for_value(value: Any) -> type[Materializer]:
    """The materializer registered for the value's type, else cloudpickle (with a warning)."""
    cls = type(value)
    candidates = _registry.candidates(cls)
    for materializer in candidates:
        if materializer().can_save(value):
            return materializer
    _warn_pickle_fallback(cls, candidates)
    return fallback_materializer()


def _warn_pickle_fallback(cls: type, declined: tuple[type[Materializer], ...]) -> None:
    key = qualname_of(cls)
    if key in _registry.pickle_warned:
        return
    # Catch-alls (the dataclass materializer is registered for every type) did not
    # "decline" a type they never handle: name only those that handle this one.
    declined = tuple(m for m in declined if m.handles_type(cls))
    if declined:
        names = ", ".join(m.name for m in declined)
        what = (
            f"This value of type {key!r} was declined by {names} (it holds something they "
            "cannot store)"
        )
        fix = "convert it to types they support, or register a materializer for it with "
    else:
        what = f"No materializer handles values of type {key!r}"
        fix = "register one with "
    warn_user(
        f"{what}; storing it with cloudpickle, which may not load under another Python or "
        f"library version, and which stores with allow_pickle=False refuse to load (warned "
        f"once per type). To fix, {fix}"
        f"@register_materializer({cls.__name__}) on a stepstone.artifacts.Materializer "
        "subclass (see 'stepstone materializers').",
        PickleFallbackWarning,
    )
    # Recorded only once the warning went through: where warnings are errors, every
    # attempt fails the same way instead of the second one silently pickling.
    _registry.pickle_warned.add(key)


def materializer_for_type(
    annotation: Any, *, preferred: type[Materializer] | str | None = None
) -> type[Materializer] | None:
    """Resolve a type annotation to the materializer that would save its values, or None.

    ``preferred`` (the step's explicit choice for this output) wins when given. Otherwise
    see :func:`stepstone.artifacts.annotations.materializer_for_type`: plain classes,
    ``Annotated``, unions, ``Literal``, generic aliases and ``"module.QualName"`` strings;
    None when the answer depends on the value.

    Example:
        >>> from typing import Annotated
        >>> materializer_for_type(Annotated[dict[str, int], "counts"]).name
        'builtins.json'
    """
    if preferred is not None:
        return resolve_materializer(preferred)
    from stepstone.artifacts.annotations import materializer_for_type as resolve

    return resolve(annotation)
