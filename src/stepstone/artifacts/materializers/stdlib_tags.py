"""Tags of ``builtins.json`` for the standard library's value types.

Dates and times, ``Decimal``, ``UUID``, ``complex``, ``bytearray`` and ``Enum`` members
are common step outputs (and fields of outputs) that JSON cannot say. Pickling them works
but ties the bytes to the Python version and makes loading run code; each has an exact,
canonical text form instead, written as a one-key tag object::

    datetime.datetime      {"$datetime": "2020-01-01T00:00:00+01:00"}   (isoformat)
    datetime.date / time   {"$date": "2020-01-01"}, {"$time": "12:30:00.000001"}
    datetime.timedelta     {"$timedelta": [days, seconds, microseconds]}
    decimal.Decimal        {"$decimal": "1.00"}     (str: exponent, sign and NaNs kept)
    uuid.UUID              {"$uuid": "12345678-1234-5678-1234-567812345678"}
    complex                {"$complex": [real, imag]}   (floats, tagged if not finite)
    bytearray              {"$bytearray": "<base64>"}
    enum.Enum members      {"$enum": ["module:Qual.Name", value]}

Only forms that give the value back exactly qualify; anything else is declined (and left
to another materializer or the pickle fallback): a time zone other than a fixed UTC offset
(a ``zoneinfo`` zone would need its rules), ``fold=1``, subclasses of these types, an enum
whose value is not itself encodable, or whose class cannot be imported by its name in
another process (defined in ``__main__`` or inside a function).

Loading an enum imports its module, which runs that module's code. That is why
``builtins.json`` does not declare ``safe_on_damaged_bytes``: its bytes are verified
against the recorded hash first, so only a class its saver recorded is ever imported, and
the object found must be that very enum class, or loading fails.
"""

from __future__ import annotations

import binascii
import datetime
import decimal
import enum
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["STDLIB_TYPES", "check", "enum_name", "tag", "untag"]

STDLIB_TYPES: tuple[type, ...] = (
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    uuid.UUID,
    complex,
    bytearray,
    enum.Enum,
)
_EXACT = frozenset(STDLIB_TYPES) - {enum.Enum}
_IDENTIFIER_PATH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_enum_names: dict[type, str | None] = {}


def _fixed_offset(tz: datetime.tzinfo | None) -> bool:
    """No zone, or a plain UTC offset that isoformat writes and fromisoformat reads back."""
    if tz is None:
        return True
    if type(tz) is not datetime.timezone:
        return False
    return repr(tz) == repr(datetime.timezone(tz.utcoffset(None)))  # no custom name


def enum_name(cls: type) -> str | None:
    """``"module:Qual.Name"`` of an enum class another process can import, else None."""
    if cls in _enum_names:
        return _enum_names[cls]
    target = f"{cls.__module__}:{cls.__qualname__}"
    name: str | None = None
    if cls.__module__ != "__main__" and "<locals>" not in cls.__qualname__:
        try:
            name = target if _import(target) is cls else None
        except (ImportError, AttributeError, ValueError):
            name = None
    _enum_names[cls] = name
    return name


def _import(name: str) -> Any:
    from stepstone.artifacts.catalog import import_target

    if not _IDENTIFIER_PATH.issuperset(name.replace(":", "", 1)) or ":" not in name:
        raise ValueError(f"{name!r} is not an importable 'module:Qual.Name'")
    return import_target(name)


def check(value: Any, encodable: Callable[[Any], bool]) -> bool | None:
    """Whether a standard-library value has an exact tag; None if it is none of these types.

    ``encodable`` checks nested values (an enum member's value).
    """
    cls = type(value)
    if cls in _EXACT:
        if cls is datetime.datetime or cls is datetime.time:
            return value.fold == 0 and _fixed_offset(value.tzinfo)
        return True
    if isinstance(value, enum.Enum):
        return enum_name(cls) is not None and encodable(value.value)
    return None


def tag(value: Any, tree: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The tag object of ``value`` (nested values through ``tree``), or None if it has none
    (not one of these types, or an enum that cannot be imported by its name)."""
    cls = type(value)
    if cls is datetime.datetime:
        return {"$datetime": value.isoformat()}
    if cls is datetime.date:
        return {"$date": value.isoformat()}
    if cls is datetime.time:
        return {"$time": value.isoformat()}
    if cls is datetime.timedelta:
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if cls is decimal.Decimal:
        return {"$decimal": str(value)}
    if cls is uuid.UUID:
        return {"$uuid": str(value)}
    if cls is complex:
        return {"$complex": [tree(value.real), tree(value.imag)]}
    if cls is bytearray:
        return {"$bytearray": binascii.b2a_base64(value, newline=False).decode("ascii")}
    if isinstance(value, enum.Enum):
        name = enum_name(cls)
        return None if name is None else {"$enum": [name, tree(value.value)]}
    return None


def _enum_member(payload: list[Any]) -> enum.Enum:
    name, value = payload
    cls = _import(name)
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
        raise ValueError(f"builtins.json names {name!r} as an enum, but it is {cls!r}")
    if f"{cls.__module__}:{cls.__qualname__}" != name:
        raise ValueError(f"builtins.json names enum {name!r}, but that is an alias of {cls!r}")
    return cls(value)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$datetime": datetime.datetime.fromisoformat,
    "$date": datetime.date.fromisoformat,
    "$time": datetime.time.fromisoformat,
    "$timedelta": lambda parts: datetime.timedelta(*parts),
    "$decimal": decimal.Decimal,
    "$uuid": uuid.UUID,
    "$complex": lambda parts: complex(*parts),
    "$bytearray": lambda text: bytearray(
        binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    ),
    "$enum": _enum_member,
}


def untag(key: str, payload: Any) -> Any:
    """The value of a tag written by :func:`tag`.

    Raises:
        KeyError: not one of these tags.
    """
    return _DECODERS[key](payload)
