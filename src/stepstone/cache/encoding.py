"""Canonical encoding of parameter values: equal values give equal bytes on every machine.

Every value is written with a type tag, so ``1``, ``1.0``, ``True`` and ``"1"`` differ, while
``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` are the same. Values that compare equal but
behave differently get different bytes: floats are written with ``repr``, which round-trips
exactly and keeps the sign of zero (``math.copysign(1.0, -0.0)`` is ``-1.0``); a ``Decimal``
keeps its exponent (``Decimal("1.0")`` and ``Decimal("1.00")`` print differently); a datetime
keeps its ``fold`` and the name of its time zone. Only NaN is folded: every NaN is one NaN,
whatever its sign and payload. Sets and dict keys are ordered by their own encoding, never by
``hash()``, which varies between processes for strings.

Supported: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, lists,
tuples, dicts, sets, enums, dataclasses, pydantic models, dates and times, ``Decimal``,
``UUID``, paths, and numpy scalars. Anything else raises
:class:`~stepstone.exceptions.UnhashableParameterError`: a value we cannot encode faithfully
must not silently become part of a cache key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import math
import pathlib
import uuid
from collections.abc import Callable
from typing import Any

from stepstone.exceptions import UnhashableParameterError

_MAX_DEPTH = 64


def _qualname(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _frame(tag: bytes, payload: bytes) -> bytes:
    return tag + str(len(payload)).encode() + b":" + payload


def _float_text(value: float) -> bytes:
    if math.isnan(value):
        return b"nan"
    return repr(value).encode()


def _clock_text(value: dt.datetime | dt.time) -> bytes:
    """ISO text, plus what equal instants can still differ in: ``fold`` and the zone's name.

    Two aware datetimes are ``==`` when they are the same instant, yet 12:00 in Paris and
    11:00 in London answer ``.hour`` differently; the ISO offset tells those apart, the zone
    name tells apart zones that share an offset today.
    """
    return f"{value.isoformat()}|{value.fold}|{value.tzname() or ''}".encode()


def _sequence(tag: bytes, items: Any, depth: int) -> bytes:
    return _frame(tag, b"".join(_encode(item, depth + 1) for item in items))


def _mapping(tag: bytes, items: Any, depth: int) -> bytes:
    pairs = sorted((_encode(k, depth + 1), _encode(v, depth + 1)) for k, v in items)
    return _frame(tag, b"".join(k + v for k, v in pairs))


_EXACT: dict[type, Callable[[Any, int], bytes]] = {
    type(None): lambda v, d: b"N",
    bool: lambda v, d: b"T" if v else b"F",
    int: lambda v, d: _frame(b"i", str(v).encode()),
    float: lambda v, d: _frame(b"f", _float_text(v)),
    complex: lambda v, d: _frame(b"c", _float_text(v.real) + b"," + _float_text(v.imag)),
    str: lambda v, d: _frame(b"s", v.encode("utf-8", "surrogatepass")),
    bytes: lambda v, d: _frame(b"b", v),
    bytearray: lambda v, d: _frame(b"B", bytes(v)),
    list: lambda v, d: _sequence(b"l", v, d),
    tuple: lambda v, d: _sequence(b"t", v, d),
    dict: lambda v, d: _mapping(b"d", v.items(), d),
    set: lambda v, d: _frame(b"S", b"".join(sorted(_encode(i, d + 1) for i in v))),
    frozenset: lambda v, d: _frame(b"Z", b"".join(sorted(_encode(i, d + 1) for i in v))),
    decimal.Decimal: lambda v, d: _frame(b"m", str(v).encode()),
    uuid.UUID: lambda v, d: _frame(b"u", v.bytes),
    dt.datetime: lambda v, d: _frame(b"w", _clock_text(v)),
    dt.date: lambda v, d: _frame(b"y", v.isoformat().encode()),
    dt.time: lambda v, d: _frame(b"h", _clock_text(v)),
    dt.timedelta: lambda v, d: _frame(b"g", repr((v.days, v.seconds, v.microseconds)).encode()),
}


def _encode_structured(value: Any, depth: int) -> bytes | None:
    """Enums, dataclasses, pydantic models, paths, numpy scalars; None if not one of them."""
    if isinstance(value, enum.Enum):
        return _frame(b"e", _qualname(value).encode() + b"|" + _encode(value.value, depth + 1))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
        return _frame(b"D", _qualname(value).encode() + b"|" + _mapping(b"d", fields, depth))
    # Asked of the type, never the instance: an object with ``__getattr__`` (pytest's
    # ``mark``, a proxy) answers every name, and asking may have side effects.
    if hasattr(type(value), "model_dump") and hasattr(type(value), "model_fields"):
        dumped = value.model_dump(mode="python")
        return _frame(b"P", _qualname(value).encode() + b"|" + _encode(dumped, depth + 1))
    if isinstance(value, pathlib.PurePath):
        return _frame(b"p", _qualname(value).encode() + b"|" + str(value).encode())
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "dtype") and hasattr(value, "item"):
        if getattr(value, "ndim", None) == 0:
            return _frame(b"n", value.dtype.str.encode() + b"|" + _encode(value.item(), depth + 1))
    return None


def _encode(value: Any, depth: int = 0) -> bytes:
    if depth > _MAX_DEPTH:
        raise UnhashableParameterError(
            f"value is nested more than {_MAX_DEPTH} levels deep (or refers to itself)."
        )
    encoder = _EXACT.get(type(value))
    if encoder is not None:
        return encoder(value, depth)
    structured = _encode_structured(value, depth)
    if structured is not None:
        return structured
    for base, base_encoder in _EXACT.items():
        if base is not type(None) and isinstance(value, base):
            return _frame(b"x", _qualname(value).encode() + b"|" + base_encoder(value, depth))
    raise UnhashableParameterError(
        f"a value of type {_qualname(value)} has no canonical encoding. Pass JSON-like "
        "values, enums, dataclasses or pydantic models as parameters, or produce the value "
        "in a step and pass its output instead."
    )


def encode_value(value: Any) -> bytes:
    """Return the canonical bytes of ``value``.

    >>> encode_value({"b": 1, "a": 2}) == encode_value({"a": 2, "b": 1})
    True
    >>> encode_value(1) == encode_value(1.0)
    False
    """
    return _encode(value)


def display_value(value: Any, _depth: int = 0) -> Any:
    """A JSON-able rendering of a parameter for people (the CLI, the dashboard, explain)."""
    if _depth > 8:
        return "…"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)[:50]
        return [display_value(item, _depth + 1) for item in items]
    if isinstance(value, dict):
        return {str(k): display_value(v, _depth + 1) for k, v in list(value.items())[:50]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: display_value(getattr(value, f.name), _depth + 1)
            for f in dataclasses.fields(value)
        }
    # Asked of the type, never the instance: an object with ``__getattr__`` (pytest's
    # ``mark``, a proxy) answers every name, and asking may have side effects.
    if hasattr(type(value), "model_dump") and hasattr(type(value), "model_fields"):
        return display_value(value.model_dump(mode="python"), _depth + 1)
    text = repr(value) if not isinstance(value, pathlib.PurePath) else str(value)
    return text if len(text) <= 200 else text[:199] + "…"
