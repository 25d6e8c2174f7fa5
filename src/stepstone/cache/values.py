"""Describing a value a step's code reaches: canonical bytes, with the code inside it found.

A module constant, a closure variable or a default argument is part of what a step computes
with, so it enters the fingerprint by value. Plain data has a canonical encoding
(:mod:`stepstone.cache.encoding`). Everything else is taken apart the way ``pickle`` would
take it apart, but into canonical bytes: containers item by item (dicts and sets in a sorted
order, never ``hash()`` order), objects through ``__reduce_ex__`` (their class, constructor
arguments and state: ``__dict__`` and ``__slots__`` for ordinary classes), plus the
attributes well-known wrappers keep their target in (``__wrapped__``, ``func``, ``pyfunc``,
``__func__``, ``__self__``). Functions, classes and modules met on the way are handed to a
callback, which fingerprints them by their code, and stand in the bytes as their name.

So ``OPS = {"double": double}``, ``np.vectorize(double)``, ``functools.partial(f, 2)``, a
bound method, an instance holding a function and a registry filled by a decorator all reach
``double``'s code. Nothing machine-specific enters the bytes: no ``id()``, no ``repr`` of an
object (which may hold a memory address). Cycles become back-references. A part that cannot be
taken apart (a lock, an open file) makes the value *unstable*: the caller then falls back to
hashing the defining module whole and says so.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stepstone.cache.encoding import encode_value
from stepstone.exceptions import UnhashableParameterError

CodeHook = Callable[[Any, str], bytes | None]
"""Given an object and the path it was reached by: its name token if it is code, else None."""

_WRAPPED = ("__wrapped__", "func", "pyfunc", "__func__", "__self__")
_DESCRIPTORS = (
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
)
_NODE_LIMIT = 50_000
_DEPTH_LIMIT = 200


def _frame(tag: bytes, payload: bytes) -> bytes:
    return tag + str(len(payload)).encode() + b":" + payload


def type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def instance_attribute(value: Any, name: str) -> tuple[bool, Any]:
    """``value.name`` when it is plain data of the instance (never runs a property's code)."""
    try:
        namespace = object.__getattribute__(value, "__dict__")
    except AttributeError:
        namespace = None
    if isinstance(namespace, dict) and name in namespace:
        return True, namespace[name]
    for klass in type(value).__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is None:
            continue
        if isinstance(descriptor, types.MemberDescriptorType | types.GetSetDescriptorType):
            try:
                return True, getattr(value, name)
            except AttributeError:  # an unset slot
                return False, None
        return False, None
    return False, None


@dataclass(slots=True)
class ValueDescriber:
    """One value's canonical bytes; code met on the way goes to ``code``.

    Attributes:
        code: called for every object reached; returns a name token for code.
        unstable: why parts of the last value described could not be taken apart.
    """

    code: CodeHook
    unstable: list[str] = field(default_factory=list)
    _stack: dict[int, int] = field(default_factory=dict)
    _nodes: int = 0

    def describe(self, value: Any, path: str) -> bytes:
        """Canonical bytes of ``value``; check :attr:`unstable` afterwards."""
        self.unstable = []
        self._nodes = 0
        return self._describe(value, path, 0)

    def _describe(self, value: Any, path: str, depth: int) -> bytes:
        token = self._callable(value, path, depth)
        if token is not None:
            return token
        try:
            encoded = encode_value(value)
        except UnhashableParameterError:
            pass
        else:
            if type(value).__module__ not in ("builtins", "decimal", "datetime", "uuid"):
                self.code(type(value), path)  # a project class's methods count too
            return b"v" + encoded
        key = id(value)
        if key in self._stack:
            return b"@" + str(depth - self._stack[key]).encode()
        self._nodes += 1
        if self._nodes > _NODE_LIMIT or depth > _DEPTH_LIMIT:
            self.unstable.append(f"it is larger than {_NODE_LIMIT:,} objects or nested too deep")
            return b"?"
        self._stack[key] = depth
        try:
            return self._structure(value, path, depth)
        finally:
            del self._stack[key]

    def _callable(self, value: Any, path: str, depth: int) -> bytes | None:
        """Tokens of functions, methods, classes, modules and the wrappers Python builds in."""
        if isinstance(value, types.MethodType):
            function = self._describe(value.__func__, path, depth + 1)
            return _frame(b"m", function + self._describe(value.__self__, path, depth + 1))
        if isinstance(value, staticmethod | classmethod):
            return _frame(b"k", self._describe(value.__func__, path, depth + 1))
        if isinstance(value, property):
            parts = (value.fget, value.fset, value.fdel)
            return _frame(b"r", self._describe(parts, path, depth + 1))
        token = self.code(value, path)
        if token is not None:
            return token
        if isinstance(value, types.BuiltinFunctionType | types.MethodWrapperType):
            owner = getattr(value, "__self__", None)
            name = f"{getattr(value, '__module__', None) or ''}.{value.__qualname__}".encode()
            if owner is None or isinstance(owner, types.ModuleType):
                return _frame(b"B", name)
            return _frame(b"B", name + b"|" + self._describe(owner, path, depth + 1))
        if isinstance(value, _DESCRIPTORS):
            return _frame(b"W", f"{type_name(value.__objclass__)}.{value.__name__}".encode())
        return None

    def _structure(self, value: Any, path: str, depth: int) -> bytes:
        if isinstance(value, list | tuple):
            items = b"".join(
                self._describe(item, f"{path}[{index}]", depth + 1)
                for index, item in enumerate(value)
            )
            body = _frame(b"l" if isinstance(value, list) else b"t", items)
            return body if type(value) in (list, tuple) else self._typed(value, body, path, depth)
        if isinstance(value, dict):
            pairs = sorted(
                (
                    self._describe(key, path, depth + 1),
                    self._describe(item, f"{path}[{key!r}]" if _plain(key) else path, depth + 1),
                )
                for key, item in value.items()
            )
            body = _frame(b"d", b"".join(k + v for k, v in pairs))
            return body if type(value) is dict else self._typed(value, body, path, depth)
        if isinstance(value, set | frozenset):
            members = sorted(self._describe(item, path, depth + 1) for item in value)
            body = _frame(b"s" if isinstance(value, set) else b"z", b"".join(members))
            plain = type(value) in (set, frozenset)
            return body if plain else self._typed(value, body, path, depth)
        if type(value).__module__ == "numpy" and hasattr(value, "tobytes"):
            return self._array(value, path, depth)
        return self._object(value, path, depth)

    def _typed(self, value: Any, body: bytes, path: str, depth: int) -> bytes:
        """A container subclass: its items, its class and any attributes it adds."""
        extra = b""
        namespace = getattr(value, "__dict__", None)
        if isinstance(namespace, dict) and namespace:
            extra = self._describe(dict(namespace), path, depth + 1)
        return _frame(b"x", self._describe(type(value), path, depth + 1) + body + extra)

    def _array(self, value: Any, path: str, depth: int) -> bytes:
        meta = f"{value.dtype.str}{tuple(value.shape)}".encode()
        if value.dtype.hasobject:  # the buffer holds pointers: describe the objects instead
            return _frame(b"A", meta + self._describe(value.tolist(), path, depth + 1))
        return _frame(b"a", meta + b"|" + value.tobytes())

    def _object(self, value: Any, path: str, depth: int) -> bytes:
        cls = type(value)
        parts = [self._describe(cls, path, depth + 1)]
        try:
            reduced = value.__reduce_ex__(4)
        except Exception as exc:  # any refusal means "cannot be taken apart"
            reduced = None
            self.unstable.append(f"a {type_name(cls)} cannot be taken apart ({exc})")
        if isinstance(reduced, str):  # a module-level singleton, named
            parts.append(_frame(b"g", reduced.encode()))
        elif isinstance(reduced, tuple):
            constructor, arguments, *rest = (*reduced, None, None, None)[:5]
            state, items, mapping = rest[0], rest[1], rest[2]
            parts.append(self._describe(constructor, path, depth + 1))
            parts.append(self._describe(arguments, path, depth + 1))
            parts.append(self._describe(state, path, depth + 1))
            if items is not None:
                parts.append(self._describe(list(items), path, depth + 1))
            if mapping is not None:
                parts.append(self._describe(dict(mapping), path, depth + 1))
        elif reduced is None:
            namespace = getattr(value, "__dict__", None)
            if isinstance(namespace, dict):  # still find the code it holds
                self._describe(dict(namespace), path, depth + 1)
        for name in _WRAPPED:
            found, attribute = instance_attribute(value, name)
            if found:
                parts.append(
                    _frame(
                        b"w",
                        name.encode()
                        + b"="
                        + self._describe(attribute, f"{path}.{name}", depth + 1),
                    )
                )
        return _frame(b"o", b"".join(parts))


def _plain(key: Any) -> bool:
    return type(key) in (str, int)
