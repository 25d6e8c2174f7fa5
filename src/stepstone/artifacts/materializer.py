"""The :class:`Materializer` base class: how a type of value becomes files and back.

A materializer is the one place that knows a value's on-disk format. Stores are ignorant
of formats (they move bytes and hash them); the registry maps types to materializers.
Keeping formats in small classes with a ``name`` and a ``version`` matters for caching:
the name and version are part of each step's output spec, so changing a format (bumping
``version``) invalidates exactly the cache entries written in the old format.

Writing your own takes four methods; see the example on :class:`Materializer`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["Materializer", "qualname_of", "safe_summary"]


def qualname_of(cls: type) -> str:
    """Return ``"module.QualName"`` of a class: the key types are registered and recorded by.

    Example:
        >>> qualname_of(dict)
        'builtins.dict'
    """
    return f"{cls.__module__}.{cls.__qualname__}"


class Materializer(ABC):
    """Base class of materializers: save values of some types as files, load them back.

    Subclass it, set the class attributes, implement :meth:`save` and :meth:`load`, and
    register it for the types it handles. Instances are created fresh for every save or
    load, so a materializer may keep per-call state on ``self`` but never shared state.

    Class attributes:
        name: unique, stable identifier recorded with every artifact (``"myproj.booster"``)
            and used to find the materializer again when loading, possibly in another
            process. If a subclass does not set it, it defaults to ``"module:QualName"``,
            which :func:`~stepstone.artifacts.get_materializer` can import on demand.
        version: format version. Bump it whenever the bytes written for the same value
            change; cached step outputs written in another version are then recomputed.
        handled_types: types (classes, or ``"module.QualName"`` strings so the library
            need not be imported) registered by ``register_materializer(ThisClass)``.
        uses_pickle: True if loading unpickles anything. Such artifacts are refused by
            stores opened with ``allow_pickle=False``, because a pickle runs code.
        safe_on_damaged_bytes: True only if :meth:`load` given *any* bytes (damaged or
            hostile) can do no more than fail or return a wrong value: it runs no code,
            imports nothing named by the bytes, and uses no parser known to be unsafe on
            hostile input. The store then checks the bytes while the materializer reads
            them (one pass). Otherwise (the default, and always when ``uses_pickle``) each
            file is hashed completely before the materializer sees it. Declare it only
            for formats like ``.npy`` without pickle or safetensors.

    Rules a materializer must follow:
        * Deterministic bytes: the same value must produce the same files in every process
          (sort unordered things, leave out timestamps), or identical outputs will not be
          recognised as identical and downstream steps will rerun needlessly.
        * Write only through the ``writer``: ``writer.open(name)`` for streams (hashed while
          written, fastest) or ``writer.path(name)`` for libraries that need a path.
        * :meth:`load` must return a fully loaded value: a remote artifact's temporary
          files are removed once it returns.

    Example:
        >>> from stepstone.artifacts import Materializer, register_materializer
        >>> class Point:
        ...     def __init__(self, x: int, y: int) -> None:
        ...         self.x, self.y = x, y
        >>> @register_materializer(Point)
        ... class PointMaterializer(Materializer):
        ...     name = "example.point"
        ...     version = "1"
        ...     def save(self, value, writer):
        ...         with writer.open("point.txt", "w") as f:
        ...             f.write(f"{value.x},{value.y}")
        ...     def load(self, reader, data_type):
        ...         with reader.open("point.txt", "r") as f:
        ...             return Point(*map(int, f.read().split(",")))
        ...     def summary(self, value):
        ...         return {"x": value.x, "y": value.y}
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    handled_types: ClassVar[tuple[str | type, ...]] = ()
    uses_pickle: ClassVar[bool] = False
    safe_on_damaged_bytes: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that does not name itself must not inherit its parent's name: both
        # would claim the same artifacts. The import path is a stable, loadable default.
        if "name" not in cls.__dict__:
            cls.name = f"{cls.__module__}:{cls.__qualname__}"

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        """Whether values of exactly this class can, in general, be saved.

        Used when resolving a type annotation, where there is no value to ask
        :meth:`can_save`. Override to reject subclasses that would not round-trip (the
        JSON materializer rejects ``namedtuple``\\ s, which are tuples). Default: True.
        """
        return True

    def can_save(self, value: Any) -> bool:
        """Whether this materializer can save this very value (default True).

        Return False rather than raising, so the registry moves on to the next candidate
        (a less specific registration, then the pickle fallback). The NumPy materializer
        returns False for object arrays, the JSON one for containers holding other types.
        """
        return True

    @abstractmethod
    def save(self, value: Any, writer: ArtifactWriter) -> None:
        """Write ``value`` as one or more files through ``writer``."""

    @abstractmethod
    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        """Read back the value saved by :meth:`save`.

        Args:
            reader: the stored artifact's files.
            data_type: ``"module.QualName"`` of the saved value's type, if recorded; lets
                one materializer serve several types.
        """

    def summary(self, value: Any) -> dict[str, Any]:
        """Return a small JSON-able description shown in the CLI and dashboard.

        Keep it to a few short fields (shape, dtype, length); it is stored in the metadata
        database with every artifact. Errors raised here are ignored: a summary is never
        worth failing a save. Default: empty.
        """
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} v{self.version}>"


def safe_summary(materializer: Materializer, value: Any) -> dict[str, Any]:
    """The materializer's summary if it is a small JSON object, else ``{}``.

    A summary is cosmetic: never worth failing a save. It must survive any metadata
    store's JSON column, so non-JSON values (and NaN, which PostgreSQL rejects) drop it.
    """
    try:
        summary = materializer.summary(value)
        if not isinstance(summary, dict):
            return {}
        json.dumps(summary, allow_nan=False)
    except Exception:
        return {}
    return summary
