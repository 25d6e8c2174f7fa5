"""``builtins.json``: JSON-like built-in values as canonical, type-tagged JSON.

Why a custom encoding rather than ``json.dumps``: plain JSON loses types (a tuple comes
back a list, ``{1: "a"}`` comes back ``{"1": "a"}``, sets and bytes do not encode at all)
and is not canonical (key order follows insertion). Both matter here: a loaded value must
equal the saved one *with its types*, and equal values must give equal bytes, hence equal
content hashes, so a step that recomputes an unchanged output does not invalidate its
consumers.

The encoding is JSON (RFC 8259, ASCII, no whitespace, keys sorted) in which values that
JSON cannot say exactly are *tags*: objects with exactly one key starting with ``$``::

    None, bool, str, list, finite float   as JSON (floats via repr: -0.0 stays -0.0)
    int                                   as JSON, or {"$int": "0x…"} beyond 2048 bits
    nan, inf, -inf                        {"$float": "nan" | "inf" | "-inf"}
    tuple                                 {"$tuple": [items]}
    bytes                                 {"$bytes": "<base64>"}
    set, frozenset                        {"$set": [...]}, {"$frozenset": [...]}
    dict with str keys                    {"k": v, ...} with keys sorted
    any other dict                        {"$dict": [[key, value], ...]}
    dates and times, Decimal, UUID,       tags of :mod:`.stdlib_tags`
    complex, bytearray, Enum members

Unordered things (set items, non-string dict keys) are sorted by their own canonical
encoding, so order never depends on hash randomization. A user dict that could be
mistaken for a tag (exactly one key, starting with ``$``) is always written in the
``$dict`` form, so every single-key ``$`` object in the output is a tag: no ambiguity.
Huge ints use hex because Python refuses to convert ints of more than a few thousand
digits to decimal (``sys.int_max_str_digits``), and hex is not limited.

Only exact built-in types qualify: a subclass (a ``namedtuple``, ``OrderedDict``) would
come back as its base class, so it is left to another materializer or the pickle
fallback. Enum members are the exception: they are stored by their class's importable
name and value, and loading imports that class. So this materializer does not declare
``safe_on_damaged_bytes``: its file is verified before it is parsed.
"""

from __future__ import annotations

import binascii
import enum
import json
import math
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.materializers import stdlib_tags
from stepstone.artifacts.registry import register_materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["BuiltinsJsonMaterializer", "decode", "encode", "is_encodable"]

_NONE_TYPE = type(None)
_SCALARS = frozenset({_NONE_TYPE, bool, int, float, str, bytes})
_SEQUENCES = frozenset({list, tuple, set, frozenset})
SUPPORTED_TYPES: tuple[type, ...] = (
    _NONE_TYPE,
    bool,
    int,
    float,
    str,
    bytes,
    list,
    tuple,
    dict,
    set,
    frozenset,
    *stdlib_tags.STDLIB_TYPES,
)

# 2**2048 has 617 decimal digits, below the smallest limit Python lets anyone set (640),
# so ints up to this size encode the same way whatever the process's limit is.
_MAX_DECIMAL_BITS = 2048
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
).encode


def is_encodable(value: Any) -> bool:
    """Whether ``value`` is made only of the exact built-in types this encoding supports.

    Cyclic or absurdly deep values are not encodable (they exceed the recursion limit).
    """
    try:
        return _check(value)
    except RecursionError:
        return False


def _check(value: Any) -> bool:
    cls = type(value)
    if cls in _SCALARS:
        return True
    if cls in _SEQUENCES:
        return all(map(_check, value))
    if cls is dict:
        return all(_check(k) and _check(v) for k, v in value.items())
    return bool(stdlib_tags.check(value, _check))


def encode(value: Any) -> bytes:
    """Return the canonical bytes of ``value`` (see the module docstring).

    Raises:
        TypeError: the value holds something other than the supported built-in types.

    Example:
        >>> encode({"b": (1, 2.0), "a": {3}})
        b'{"a":{"$set":[3]},"b":{"$tuple":[1,2.0]}}'
    """
    return _dumps(_tree(value)).encode("ascii")


def decode(data: bytes) -> Any:
    """Inverse of :func:`encode`: ``decode(encode(v)) == v`` with the same types throughout.

    Raises:
        ValueError: the bytes are not JSON or use an unknown tag.
    """
    head = data[:2]  # ASCII without NUL here is UTF-8 to detect_encoding (what encode writes)
    encoding = "utf-8" if head.isascii() and 0 not in head else json.detect_encoding(data)
    return _decoder.decode(data.decode(encoding, "surrogatepass"))


def _tree(value: Any) -> Any:
    """Convert to plain JSON values (str-keyed dicts, lists, str, int, float, bool, None)."""
    cls = type(value)
    if cls is str or cls is bool or value is None:
        return value
    if cls is int:
        if value.bit_length() > _MAX_DECIMAL_BITS:
            return {"$int": hex(value)}
        return value
    if cls is float:
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if cls is list:
        return [_tree(item) for item in value]
    if cls is tuple:
        return {"$tuple": [_tree(item) for item in value]}
    if cls is dict:
        return _dict_tree(value)
    if cls is bytes:
        return {"$bytes": binascii.b2a_base64(value, newline=False).decode("ascii")}
    if cls is set:
        return {"$set": _sorted_trees(value)}
    if cls is frozenset:
        return {"$frozenset": _sorted_trees(value)}
    tagged = stdlib_tags.tag(value, _tree)
    if tagged is not None:
        return tagged
    raise TypeError(
        f"builtins.json cannot encode a value of type {cls.__module__}.{cls.__qualname__}"
    )


def _dict_tree(value: dict[Any, Any]) -> Any:
    if all(type(key) is str for key in value):
        if len(value) != 1 or not next(iter(value)).startswith("$"):
            return {key: _tree(item) for key, item in value.items()}
    # Non-string keys, or a lone "$" key that would read as a tag: explicit pairs, sorted
    # by the key's canonical encoding (keys are distinct, so the encodings are too).
    pairs = [
        (_dumps(key_tree), key_tree, item)
        for key_tree, item in ((_tree(key), item) for key, item in value.items())
    ]
    pairs.sort(key=lambda pair: pair[0])
    return {"$dict": [[key_tree, _tree(item)] for _, key_tree, item in pairs]}


def _sorted_trees(items: Any) -> list[Any]:
    trees = [_tree(item) for item in items]
    keys = [_dumps(tree) for tree in trees]
    return [trees[i] for i in sorted(range(len(trees)), key=keys.__getitem__)]


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        return obj
    ((key, payload),) = obj.items()
    if not key.startswith("$"):
        return obj
    if key == "$tuple":
        return tuple(payload)
    if key == "$dict":
        return {_hashable(k): v for k, v in payload}
    if key == "$bytes":
        return binascii.a2b_base64(payload.encode("ascii"), strict_mode=True)
    if key == "$set":
        return {_hashable(item) for item in payload}
    if key == "$frozenset":
        return frozenset(_hashable(item) for item in payload)
    if key == "$float":
        return _NONFINITE[payload]
    if key == "$int":
        return int(payload, 16)
    try:
        return stdlib_tags.untag(key, payload)
    except KeyError:
        raise ValueError(f"unknown tag {key!r} in builtins.json data") from None


#: Made once: ``json.loads`` with an ``object_hook`` builds a new decoder on every call
#: (:func:`decode` turns the bytes into text as ``json.loads`` does).
_decoder = json.JSONDecoder(object_hook=_untag)


def _hashable(item: Any) -> Any:
    if type(item) is list or type(item) is dict:
        raise ValueError("builtins.json data has a list or dict where a hashable value belongs")
    return item


def _summary(value: Any) -> dict[str, Any]:
    cls = type(value)
    if cls in (list, tuple, dict, set, frozenset, bytes, str):
        summary: dict[str, Any] = {"type": cls.__name__, "length": len(value)}
        if cls is str and len(value) <= 80:
            summary["repr"] = repr(value)
        return summary
    if cls is int and value.bit_length() > 256:
        return {"type": "int", "bits": value.bit_length()}
    return {"type": cls.__name__, "repr": repr(value)}


@register_materializer
class BuiltinsJsonMaterializer(Materializer):
    """Saves JSON-like built-in values (None, bool, int, float, str, bytes, list, tuple,
    dict, set, frozenset, nested) as canonical type-tagged JSON in ``data.json``.

    Example:
        >>> BuiltinsJsonMaterializer().can_save({"a": [1, 2.5, None]})
        True
        >>> BuiltinsJsonMaterializer().can_save({"a": object()})
        False
    """

    name = "builtins.json"
    version = "1"
    handled_types = SUPPORTED_TYPES
    #: Generic parameters (``list[X]``) decide whether an annotation is encodable.
    checks_item_types = True

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        if isinstance(data_type, type) and issubclass(data_type, enum.Enum):
            return stdlib_tags.enum_name(data_type) is not None
        return data_type in SUPPORTED_TYPES

    def can_save(self, value: Any) -> bool:
        return is_encodable(value)

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        writer.write_bytes("data.json", encode(value))

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        return decode(reader.read_bytes("data.json"))

    def summary(self, value: Any) -> dict[str, Any]:
        return _summary(value)
