"""Typed metadata values: strings and sizes that say what they are.

A plain ``str`` logged as metadata is shown as text; these subclasses keep their meaning
through the store (a :class:`Uri` is shown as a link, a :class:`StorageSize` in bytes with a
unit), and read back as the same type. They behave exactly like the builtin they extend.

>>> from stepstone.metadata.metadata_types import StorageSize, Uri
>>> StorageSize(2048) + 1
2049
>>> Uri("s3://bucket/data.csv").startswith("s3://")
True
"""

from __future__ import annotations

from typing import Any


class Uri(str):
    """A location (``s3://…``, ``https://…``, a file URL)."""

    __slots__ = ()


class Path(str):
    """A filesystem path, kept as text (not a :class:`pathlib.Path`)."""

    __slots__ = ()


class DType(str):
    """The name of a data type (``"int64"``, ``"float32"``)."""

    __slots__ = ()


class StorageSize(int):
    """A size in bytes."""

    __slots__ = ()


#: The typed values by the name they are stored under.
TYPED_VALUES: dict[str, type[Any]] = {cls.__name__: cls for cls in (Uri, Path, DType, StorageSize)}

__all__ = ["TYPED_VALUES", "DType", "Path", "StorageSize", "Uri"]
