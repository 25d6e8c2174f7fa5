"""``cloudpickle``: the fallback for values no registered materializer handles.

Why cloudpickle rather than pickle: step outputs are often instances of classes defined
in a notebook or a script (``__main__``), or hold lambdas; plain pickle stores those by
reference and cannot load them elsewhere, cloudpickle stores them by value.

Why it is only a fallback, with a warning: a pickle is tied to the Python version and to
the exact library versions that wrote it, can run code when loaded, and its bytes are only
as deterministic as the object graph (a set of strings pickles in hash order, which
changes between processes), which can defeat early cut-off. A dedicated materializer
avoids all three; the warning (once per type per process, emitted by the registry when it
falls back) says how to register one. Choosing this materializer explicitly does not warn.

The protocol is pinned (5) so the bytes do not change with cloudpickle's default.
"""

from __future__ import annotations

import reprlib
import sys
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer, qualname_of
from stepstone.artifacts.registry import register_materializer

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["CloudpickleMaterializer"]

PICKLE_FILE = "data.pkl"
PROTOCOL = 5

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80


@register_materializer
class CloudpickleMaterializer(Materializer):
    """Saves any picklable value with cloudpickle (protocol 5) in ``data.pkl``.

    Loading runs code from the artifact: only load artifacts from stores you trust,
    as with any pickle.

    Example:
        >>> CloudpickleMaterializer().summary(3 + 4j)["type"]
        'builtins.complex'
    """

    name = "cloudpickle"
    version = "1"
    handled_types = ()
    uses_pickle = True

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        import cloudpickle

        with writer.open(PICKLE_FILE) as file:
            cloudpickle.dump(value, file, protocol=PROTOCOL)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        import pickle

        # Objects pickled by value reference cloudpickle's helpers; plain pickle imports
        # them by name, so cloudpickle itself need not be imported here.
        with reader.open(PICKLE_FILE) as file:
            return pickle.load(file)  # noqa: S301 - artifacts come from the user's own store

    def summary(self, value: Any) -> dict[str, Any]:
        return {
            "type": qualname_of(type(value)),
            "repr": _repr.repr(value),
            "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        }
