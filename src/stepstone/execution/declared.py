"""Checking a returned value against its output's declared type, before anything is stored.

A step annotated ``-> int`` that returns a ``str`` would otherwise be stored as a ``str``, cached,
and fail much later in a consumer with that consumer's error. The check is deliberately shallow
and never guesses:

* plain classes: ``isinstance``; ``int``, ``float`` and ``complex`` accept what :mod:`numbers`
  counts as such (an ``int`` for ``float`` as PEP 484 says, numpy's ``int64`` for ``int``);
* generics check their container only: ``list[int]`` checks ``list``, ``Mapping[str, X]`` checks
  ``Mapping``;
* ``Optional`` and unions: any member; ``None`` means the value ``None``; ``Literal``: one of the
  values;
* a type written as text the function's module could not resolve (``"np.ndarray"`` without
  numpy imported there) is compared by qualified name with the value's classes, so numpy and
  pandas types are checked without importing them;
* ``Any``, unannotated outputs, type variables, protocols and anything else ``isinstance``
  cannot answer are not checked.
"""

from __future__ import annotations

import numbers
import re
import types
import typing
from typing import Any

#: What a numeric annotation accepts besides its own class: PEP 484's tower (an ``int`` is a
#: ``float``) and numpy's scalars, which register with :mod:`numbers` (``np.int64`` for ``int``).
_NUMERIC_TOWER: dict[type, type] = {
    int: numbers.Integral,
    float: numbers.Real,
    complex: numbers.Complex,
}
_DOTTED_NAME = re.compile(r"[A-Za-z_][\w.]*")


def type_mismatch(value: Any, declared: Any) -> str | None:
    """Why ``value`` is not of the ``declared`` type, or ``None`` when it is (or is unchecked)."""
    return None if _matches(value, declared) is not False else _type_name(declared)


def _matches(value: Any, declared: Any) -> bool | None:
    """``True``/``False`` when it can be told, ``None`` when the declaration is not checked."""
    if declared is Any or declared is typing.Any:
        return None
    if declared is None or declared is type(None):
        return value is None
    if isinstance(declared, str):
        return _matches_by_name(value, declared)
    origin = typing.get_origin(declared)
    if origin is typing.Annotated:
        return _matches(value, typing.get_args(declared)[0])
    if origin is typing.Union or origin is types.UnionType:
        answers = [_matches(value, member) for member in typing.get_args(declared)]
        return None if None in answers and True not in answers else True in answers
    if origin is typing.Literal:
        return value in typing.get_args(declared)
    if origin is not None:
        return _is_instance(value, origin)
    return _is_instance(value, declared)


def _is_instance(value: Any, cls: Any) -> bool | None:
    if not isinstance(cls, type):
        return None  # a TypeVar, a NewType, typing.Callable's bare form...
    if getattr(cls, "_is_protocol", False) or typing.is_typeddict(cls):
        return None  # isinstance refuses or cannot tell
    try:
        if isinstance(value, cls):
            return True
    except TypeError:
        return None
    tower = _NUMERIC_TOWER.get(cls)
    return tower is not None and isinstance(value, tower)


def _matches_by_name(value: Any, text: str) -> bool | None:
    """A string annotation: its last dotted part against the qualnames of the value's classes."""
    if _DOTTED_NAME.fullmatch(text) is None:
        return None  # "list[int]", "A | None": not a plain class name
    name = text.rsplit(".", 1)[-1]
    return any(cls.__qualname__.rsplit(".", 1)[-1] == name for cls in type(value).__mro__)


def _type_name(declared: Any) -> str:
    if isinstance(declared, type):
        module = declared.__module__
        return (
            declared.__qualname__ if module == "builtins" else f"{module}.{declared.__qualname__}"
        )
    return str(declared).replace("typing.", "")


def value_type_name(value: Any) -> str:
    """``str``, ``numpy.ndarray``: the qualified name of the value's class."""
    return _type_name(type(value))
