"""``dataclass.json`` and ``pydantic.json``: typed records as canonical JSON, not pickle.

Why JSON through pydantic: configuration and metrics records (dataclasses, pydantic
models) are the most common step outputs after arrays, and pydantic (a core dependency)
already knows how to turn a typed record into JSON and back by its annotations: nested
records, enums, dates, paths, tuples and sets all round-trip. The JSON is re-encoded
canonically (keys sorted, no whitespace), so equal records give equal bytes.

What is stored: ``{"type": "module.QualName", "value": <JSON>}``. Loading imports that
module and validates the JSON back into the class, so the class must be importable
(``<locals>`` classes are declined; ``__main__`` works when the same script loads it,
as with pickle).

Faithfulness is checked, not assumed: ``can_save`` encodes the value, decodes it, and
declines (leaving the value to the pickle fallback, with its warning) unless the result
equals the original (or, for classes without ``__eq__``, re-encodes identically). So a
field pydantic would coerce (a float NaN, a field typed ``Any`` holding a tuple) never
comes back silently changed. The check costs an encode and a decode; records are small.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import weakref
from abc import abstractmethod
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer, qualname_of
from stepstone.artifacts.registry import register_materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["DataclassMaterializer", "PydanticMaterializer"]

DATA_FILE = "data.json"

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
).encode


def _importable(cls: type) -> bool:
    return "<locals>" not in cls.__qualname__


def _import_class(qualname: str) -> type:
    """Import ``"module.Qual.Name"``: the longest importable module prefix, then attributes."""
    parts = qualname.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        module = sys.modules.get(module_name)
        if module is None:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        found: Any = module
        try:
            for attribute in parts[split:]:
                found = getattr(found, attribute)
        except AttributeError:
            continue
        if isinstance(found, type):
            return found
    raise ImportError(f"cannot import the class {qualname!r} this artifact was saved from")


_adapters: weakref.WeakKeyDictionary[type, Any] = weakref.WeakKeyDictionary()


def _adapter(cls: type) -> Any:
    """A pydantic TypeAdapter per dataclass (building one costs about a millisecond)."""
    adapter = _adapters.get(cls)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _adapters[cls] = TypeAdapter(cls)
    return adapter


def _jsonable(tree: Any) -> Any:
    """Turn pydantic's ``mode="python"`` dump into JSON values, sets sorted.

    Why not ``mode="json"``: it writes sets in iteration order, which depends on the
    process's hash seed for strings, so equal records would get different bytes. Here a
    set's items are sorted by their canonical encoding; every other leaf (dates, enums,
    paths, decimals) is converted by pydantic itself.
    """
    if isinstance(tree, dict):
        return {key if type(key) is str else _key(key): _jsonable(v) for key, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_jsonable(item) for item in tree]
    if isinstance(tree, (set, frozenset)):
        return sorted((_jsonable(item) for item in tree), key=_dumps)
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    from pydantic_core import to_jsonable_python

    return _jsonable(to_jsonable_python(tree))


def _key(key: Any) -> str:
    """A dict key as pydantic's JSON mode writes it (``1`` -> ``"1"``)."""
    from pydantic_core import to_jsonable_python

    converted = to_jsonable_python(key)
    return converted if isinstance(converted, str) else _dumps(converted)


def _has_eq(cls: type) -> bool:
    return getattr(cls, "__eq__", object.__eq__) is not object.__eq__


class _RecordMaterializer(Materializer):
    """Shared logic: encode, check the round trip, write canonical JSON, decode."""

    name = "stepstone.record"  # abstract; subclasses name themselves

    @abstractmethod
    def encode(self, value: Any) -> Any:
        """Implemented by each record materializer."""

    @abstractmethod
    def decode(self, cls: type, data: Any) -> Any:
        """Implemented by each record materializer."""

    @abstractmethod
    def applies(self, value: Any) -> bool:
        """Implemented by each record materializer."""

    def can_save(self, value: Any) -> bool:
        if not self.applies(value) or not _importable(type(value)):
            return False
        try:
            tree = self.encode(value)
            text = _dumps(tree)
            back = self.decode(type(value), json.loads(text))
            if _has_eq(type(value)):
                return bool(back == value) and type(back) is type(value)
            return _dumps(self.encode(back)) == text
        except Exception:
            return False

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        document = {"type": qualname_of(type(value)), "value": self.encode(value)}
        with writer.open(DATA_FILE) as file:
            file.write(_dumps(document).encode("ascii"))

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        with reader.open(DATA_FILE) as file:
            document = json.loads(file.read())
        return self.decode(_import_class(document["type"]), document["value"])

    def summary(self, value: Any) -> dict[str, Any]:
        names = list(self.field_names(value))
        summary: dict[str, Any] = {"type": qualname_of(type(value)), "fields": names[:20]}
        if len(names) > 20:
            summary["field_count"] = len(names)
        return summary

    @abstractmethod
    def field_names(self, value: Any) -> list[str]:
        """Implemented by each record materializer."""


@register_materializer("builtins.object")
class DataclassMaterializer(_RecordMaterializer):
    """Saves dataclass instances as canonical JSON (via pydantic), loads the same class.

    Registered for every type (``builtins.object``) because dataclasses share no base
    class; ``can_save`` is a cheap attribute check for anything that is not one.

    Example:
        >>> import dataclasses
        >>> @dataclasses.dataclass
        ... class Config:
        ...     lr: float = 0.01
        ...     layers: tuple[int, ...] = (64, 32)
        >>> DataclassMaterializer().summary(Config())["fields"]
        ['lr', 'layers']
    """

    name = "dataclass.json"
    version = "1"

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        return dataclasses.is_dataclass(data_type) and _importable(data_type)

    def applies(self, value: Any) -> bool:
        return dataclasses.is_dataclass(value) and not isinstance(value, type)

    def encode(self, value: Any) -> Any:
        return _jsonable(_adapter(type(value)).dump_python(value, mode="python"))

    def decode(self, cls: type, data: Any) -> Any:
        return _adapter(cls).validate_python(data)

    def field_names(self, value: Any) -> list[str]:
        return [field.name for field in dataclasses.fields(value)]


@register_materializer("pydantic.main.BaseModel")
class PydanticMaterializer(_RecordMaterializer):
    """Saves pydantic models as canonical JSON (``model_dump(mode="json")``), loads them
    with ``model_validate``.

    Example:
        >>> import pydantic
        >>> class Metrics(pydantic.BaseModel):
        ...     accuracy: float
        >>> PydanticMaterializer().summary(Metrics(accuracy=0.9))["fields"]
        ['accuracy']
    """

    name = "pydantic.json"
    version = "1"

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        return _importable(data_type)

    def applies(self, value: Any) -> bool:
        return True  # registered for BaseModel: only models get here

    def encode(self, value: Any) -> Any:
        return _jsonable(value.model_dump(mode="python"))

    def decode(self, cls: type, data: Any) -> Any:
        return cls.model_validate(data)  # type: ignore[attr-defined]

    def field_names(self, value: Any) -> list[str]:
        return list(type(value).model_fields)
