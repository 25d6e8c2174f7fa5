"""Which materializer saves which type: registration and lookup.

Types are registered by their ``"module.QualName"`` string, never by class object,
so a materializer for a heavy library (``"numpy.ndarray"``, ``"torch.Tensor"``) can be
registered without importing that library: a value is matched by walking the names of
the classes in its type's MRO (most specific first). Nothing is imported to classify a
value; if the value exists, its library is already imported.

Resolution for a value: for each class in ``type(value).__mro__``, the materializers
registered for that class name, newest first, are asked ``can_save(value)``; the first
yes wins. If none says yes, :func:`materializer_for_value` answers None, and
:meth:`ArtifactStore.save` pickles the value with cloudpickle and emits a
:class:`~stepstone.exceptions.PickleFallbackWarning` is emitted once per type per process
(pickles are tied to Python and library versions, so users should hear about it, once).

Resolution for an annotation (:func:`materializer_for_type`) has no value to ask, so it
uses :meth:`Materializer.handles_type` and gives up (returns None) when the answer would
depend on the value, e.g. ``Optional[np.ndarray]``.
"""

from __future__ import annotations

import importlib
import threading
import types
import typing
import warnings
import weakref
from typing import Any, Literal, TypeVar, overload

from stepstone.artifacts.materializer import Materializer, qualname_of
from stepstone.exceptions import MaterializerError, PickleFallbackWarning, did_you_mean

__all__ = [
    "get_materializer",
    "materializer_for_type",
    "materializer_for_value",
    "register_materializer",
    "registered_materializers",
]

M = TypeVar("M", bound=type[Materializer])

_NONE_TYPE = type(None)


class _Registry:
    """Mutable registry state, behind one lock; lookups read without locking (GIL-atomic)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_type: dict[str, list[type[Materializer]]] = {}
        self.by_name: dict[str, type[Materializer]] = {}
        self.value_cache: weakref.WeakKeyDictionary[type, tuple[type[Materializer], ...]] = (
            weakref.WeakKeyDictionary()
        )
        self.annotation_cache: dict[Any, type[Materializer] | None] = {}
        self.pickle_warned: set[str] = set()

    def snapshot(self) -> tuple[dict[str, list[type[Materializer]]], dict[str, type[Materializer]]]:
        """Copy of the registrations, for tests that register throwaway materializers."""
        return {k: list(v) for k, v in self.by_type.items()}, dict(self.by_name)

    def restore(
        self, state: tuple[dict[str, list[type[Materializer]]], dict[str, type[Materializer]]]
    ) -> None:
        with self.lock:
            self.by_type = {k: list(v) for k, v in state[0].items()}
            self.by_name = dict(state[1])
            self._invalidate()

    def add(self, key: str, cls: type[Materializer]) -> None:
        with self.lock:
            candidates = self.by_type.setdefault(key, [])
            if cls in candidates:
                candidates.remove(cls)
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

    def _invalidate(self) -> None:
        self.value_cache = weakref.WeakKeyDictionary()
        self.annotation_cache = {}

    def candidates(self, cls: type) -> tuple[type[Materializer], ...]:
        """Materializers for instances of ``cls``: MRO order, newest registration first."""
        cache = self.value_cache
        try:
            return cache[cls]
        except KeyError:
            pass
        by_type = self.by_type
        found: list[type[Materializer]] = []
        for base in cls.__mro__:
            for materializer in by_type.get(qualname_of(base), ()):
                if materializer not in found:
                    found.append(materializer)
        result = tuple(found)
        try:
            cache[cls] = result
        except TypeError:  # pragma: no cover - classes that refuse weak references
            pass
        return result


_registry = _Registry()


def _type_key(type_or_qualname: type | str) -> str:
    if isinstance(type_or_qualname, str):
        if "." not in type_or_qualname:
            raise TypeError(
                f"register types by class or by 'module.QualName', not {type_or_qualname!r}"
                f" (for a builtin, 'builtins.{type_or_qualname}')"
            )
        return type_or_qualname
    if isinstance(type_or_qualname, type):
        return qualname_of(type_or_qualname)
    raise TypeError(f"expected a class or a 'module.QualName' string, got {type_or_qualname!r}")


def _check_materializer(cls: object) -> type[Materializer]:
    if not (isinstance(cls, type) and issubclass(cls, Materializer)):
        raise TypeError(f"expected a Materializer subclass, got {cls!r}")
    if not isinstance(cls.name, str) or not cls.name:
        raise TypeError(f"materializer {cls.__qualname__} needs a non-empty string 'name'")
    if not isinstance(cls.version, str) or not cls.version:
        raise TypeError(f"materializer {cls.__qualname__} needs a non-empty string 'version'")
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
    class's own ``__module__`` and ``__qualname__`` (``"pandas.core.frame.DataFrame"``, not
    ``"pandas.DataFrame"``). Registering also makes the materializer findable by its
    ``name`` for loading.

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


def registered_materializers() -> dict[str, type[Materializer]]:
    """Every materializer known by name (registered, or loaded on demand), sorted by name."""
    return dict(sorted(_registry.by_name.items()))


def get_materializer(name: str) -> type[Materializer]:
    """Return the materializer registered under ``name`` (as recorded with an artifact).

    A name of the form ``"package.module:ClassName"`` (the default name of a materializer
    that does not set one) is imported on demand, so artifacts written by user-defined
    materializers load in a fresh process too.

    Raises:
        MaterializerError: no materializer has this name; the message lists the known names
            and the closest match.
    """
    cls = _registry.by_name.get(name)
    if cls is not None:
        return cls
    if ":" in name:
        cls = _import_materializer(name)
        if cls is not None:
            return cls
    known = sorted(_registry.by_name)
    raise MaterializerError(
        f"No materializer named {name!r}.{did_you_mean(name, known)} Known materializers: "
        f"{', '.join(known)}. If the artifact was written by your own materializer, import the "
        "module that registers it before loading."
    )


def _import_materializer(name: str) -> type[Materializer] | None:
    module_name, _, qualname = name.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return None
    if isinstance(target, type) and issubclass(target, Materializer) and target.name == name:
        _registry.add_name(target)
        return target
    return None


def remember_materializer(cls: type[Materializer]) -> type[Materializer]:
    """Called for a materializer passed explicitly to a save: the artifact it writes must be
    loadable by its name in this process even if the class was never registered."""
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
        return select_for_value(value, stacklevel=3)
    for materializer in _registry.candidates(type(value)):
        if materializer().can_save(value):
            return materializer
    return None


def select_for_value(value: Any, *, stacklevel: int) -> type[Materializer]:
    """:func:`materializer_for_value` for internal callers: ``stacklevel`` of the warning
    counted from this function (2 = its caller), so it points at user code."""
    cls = type(value)
    candidates = _registry.candidates(cls)
    for materializer in candidates:
        if materializer().can_save(value):
            return materializer
    _warn_pickle_fallback(cls, candidates, stacklevel + 1)
    return fallback_materializer()


def _warn_pickle_fallback(
    cls: type, declined: tuple[type[Materializer], ...], stacklevel: int
) -> None:
    key = qualname_of(cls)
    if key in _registry.pickle_warned:
        return
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
    warnings.warn(
        f"{what}; storing it with cloudpickle, which may not load under another Python or "
        f"library version (warned once per type). To fix, {fix}"
        f"@register_materializer({cls.__name__}) on a stepstone.artifacts.Materializer "
        "subclass (see 'stepstone materializers').",
        PickleFallbackWarning,
        stacklevel=stacklevel,
    )
    # Recorded only once the warning went through: where warnings are errors, every
    # attempt fails the same way instead of the second one silently pickling.
    _registry.pickle_warned.add(key)


def materializer_for_type(annotation: Any) -> type[Materializer] | None:
    """Resolve a type annotation to the materializer that would save its values, or None.

    Understands plain classes, ``Annotated[T, ...]`` (unwrapped), unions and ``Optional``
    (resolved only when every member resolves to the same materializer: ``int | None`` is
    JSON, ``np.ndarray | None`` is ambiguous), ``Literal[...]``, generic aliases
    (``list[int]`` is JSON only if ``int`` is), and ``"module.QualName"`` strings.
    Returns None for ``Any``, type variables, and types no materializer handles; the pickle
    fallback is decided per value at save time, never here.

    Example:
        >>> from typing import Annotated
        >>> materializer_for_type(Annotated[dict[str, int], "counts"]).name
        'builtins.json'
    """
    cache = _registry.annotation_cache
    try:
        return cache[annotation]
    except TypeError:  # unhashable annotation metadata
        return _resolve(annotation)
    except KeyError:
        pass
    result = _resolve(annotation)
    cache[annotation] = result
    return result


def _resolve(annotation: Any) -> type[Materializer] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _resolve(typing.get_args(annotation)[0])
    if annotation is None or annotation is _NONE_TYPE:
        return _for_class(_NONE_TYPE)
    if origin is typing.Union or origin is types.UnionType:
        return _same(_resolve(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return _same(_for_class(type(arg)) for arg in typing.get_args(annotation))
    if isinstance(origin, type):
        container = _for_class(origin)
        if container is None:
            return None
        # A container format (JSON) holds only what it can encode: check the parameters.
        if getattr(container, "checks_item_types", False):
            args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
            if any(_resolve(arg) is not container for arg in args):
                return None
        return container
    if isinstance(annotation, str):
        found = _registry.by_type.get(annotation)
        return found[0] if found else None
    if isinstance(annotation, type):
        return _for_class(annotation)
    return None


def _same(results: typing.Iterable[type[Materializer] | None]) -> type[Materializer] | None:
    distinct = set(results)
    if len(distinct) == 1:
        return distinct.pop()
    return None


def _for_class(cls: type) -> type[Materializer] | None:
    for materializer in _registry.candidates(cls):
        if materializer.handles_type(cls):
            return materializer
    return None
