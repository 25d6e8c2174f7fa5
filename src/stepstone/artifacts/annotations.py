"""Resolving a type annotation to a materializer, before any value exists.

The run planner needs each output's materializer (name and version are part of the cache
key's output spec) from the step's annotations alone. There is no value to ask
``can_save``, so :meth:`Materializer.handles_type` answers for the class, and anything
that would depend on the value (``np.ndarray | None``, ``Any``) resolves to None: the
materializer is then chosen per value at save time and recorded with the artifact.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any

from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.registry import _registry

__all__ = ["materializer_for_type"]

_NONE_TYPE = type(None)


def materializer_for_type(annotation: Any) -> type[Materializer] | None:
    """Resolve a type annotation to the materializer that would save its values, or None.

    Understands plain classes, ``Annotated[T, ...]`` (unwrapped), unions and ``Optional``
    (resolved only when every member resolves to the same materializer: ``int | None`` is
    JSON, ``np.ndarray | None`` is ambiguous), ``Literal[...]``, generic aliases
    (``list[int]`` is JSON only if ``int`` is), and ``"module.QualName"`` strings.
    Returns None for ``Any``, type variables, and types no materializer handles; the pickle
    fallback is decided per value at save time, never here.

    Example:
        >>> materializer_for_type(list[int]).name
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
    _registry.annotation_cache[annotation] = result
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
        found = _registry.by_type_name(annotation)
        return found[0] if found else None
    if isinstance(annotation, type):
        return _for_class(annotation)
    return None


def _same(results: Iterable[type[Materializer] | None]) -> type[Materializer] | None:
    distinct = set(results)
    if len(distinct) == 1:
        return distinct.pop()
    return None


def _for_class(cls: type) -> type[Materializer] | None:
    for materializer in _registry.candidates(cls):
        if materializer.handles_type(cls):
            return materializer
    return None
