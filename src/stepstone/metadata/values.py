"""Metadata values: what may be logged, and how it is stored and read back.

A value is JSON-like (``str``, ``int``, ``float``, ``bool``, ``None``, lists and string-keyed
dicts of these; tuples and sets become lists) or one of the typed values of
:mod:`stepstone.metadata.metadata_types`, which keep their type through the store. Anything else
is refused when it is logged, naming the key, so a bad value never fails the write later.
NumPy scalars (what scikit-learn's metrics return) are stored as the Python number they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stepstone.exceptions import MetadataValueError
from stepstone.metadata.metadata_types import TYPED_VALUES

_PLAIN = (str, int, float, bool, type(None))
_TYPED = tuple(TYPED_VALUES.values())


def _refuse(where: str, key: str, value: Any) -> MetadataValueError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return MetadataValueError(
        f"{where}: metadata '{key}' holds a {type(value).__name__} ({shown}), which cannot be "
        "stored. Metadata values are str, int, float, bool, None, lists and dicts of these, or "
        "the types of stepstone.metadata.metadata_types (Uri, Path, DType, StorageSize); "
        "convert it first, e.g. str(value) or float(value)."
    )


def _normalize(value: Any, where: str, key: str) -> Any:
    if isinstance(value, (*_TYPED, *_PLAIN)):
        return value
    if isinstance(value, list | tuple):
        return [_normalize(item, where, key) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_normalize(item, where, key) for item in value), key=repr)
    if isinstance(value, Mapping):
        normalized = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise _refuse(where, f"{key}.{name!r}", name)
            normalized[name] = _normalize(item, where, f"{key}.{name}")
        return normalized
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return _normalize(value.item(), where, key)
    raise _refuse(where, key, value)


def normalize_metadata(metadata: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``metadata`` checked and converted to storable values; ``where`` starts the error."""
    if not isinstance(metadata, Mapping):
        raise MetadataValueError(
            f"{where}: metadata must be a dict of key -> value, got a {type(metadata).__name__}. "
            'Write log_metadata(metadata={"accuracy": 0.9}).'
        )
    normalized = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise MetadataValueError(
                f"{where}: metadata keys are non-empty strings, got {key!r}. Use a name such "
                'as "accuracy".'
            )
        normalized[key] = _normalize(value, where, key)
    return normalized


def encode_value(value: Any) -> dict[str, Any]:
    """The JSON mapping a value is stored as: its type's name for the typed values."""
    kind = type(value).__name__
    if kind in TYPED_VALUES and isinstance(value, TYPED_VALUES[kind]):
        return {"type": kind, "value": TYPED_VALUES[kind].__mro__[1](value)}
    return {"value": value}


def decode_value(stored: Mapping[str, Any]) -> Any:
    """The value :func:`encode_value` stored (a typed value comes back typed)."""
    value = stored.get("value")
    kind = stored.get("type")
    if isinstance(kind, str) and kind in TYPED_VALUES:
        return TYPED_VALUES[kind](value)
    return value
