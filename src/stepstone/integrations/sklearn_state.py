"""``sklearn.state``: fitted scikit-learn estimators as JSON + arrays, without pickle.

Why not pickle (or joblib, which is pickle): loading a pickle runs code chosen by whoever
wrote the file, and stores opened with ``allow_pickle=False`` refuse it. A fitted
estimator is mostly plain data: hyper-parameters, fitted NumPy arrays, nested estimators,
and a few scikit-learn internals (a decision tree's ``Tree``, a ``RandomState``). This
format writes exactly that and nothing else, in the spirit of ``skops``:

* ``state.json``: a tree of JSON values with tags for what JSON cannot say:
  ``$tuple``, ``$dict`` (insertion-ordered pairs, any keys), ``$float`` (nan, inf),
  ``$array`` (a member of ``arrays.npz``), ``$objarray`` (object arrays element by
  element, e.g. string class labels), ``$scalar`` / ``$dtype`` (NumPy), ``$ref`` (a
  class or function stored by name, not called), ``$obj`` (an object rebuilt with
  ``cls.__new__`` + ``__setstate__``) and ``$reduce`` (an object rebuilt by calling its
  class with arguments, as its ``__reduce__`` says).
* ``arrays.npz``: the arrays, written deterministically (:mod:`..numpy_npz`).

Safety: loading imports names only from ``sklearn``, ``numpy`` and ``scipy``; it *calls*
only scikit-learn classes and an explicit list of NumPy constructors (random states,
dtypes) — never an arbitrary function, so a tampered ``state.json`` cannot run code
the way a tampered pickle can. Anything the format cannot express (a lambda in a
``FunctionTransformer``, a user class) makes ``can_save`` decline: the estimator then
goes to the pickle fallback, with its warning and the ``allow_pickle`` policy.
"""

from __future__ import annotations

import copyreg
import json
import math
import threading
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer, qualname_of
from stepstone.exceptions import UnsupportedValueError

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["SklearnStateMaterializer", "decode_state", "encode_state"]

STATE_FILE = "state.json"
ARRAYS_FILE = "arrays.npz"

_ROOTS = frozenset({"sklearn", "numpy", "scipy", "builtins"})
_CALLABLE_CLASSES_FROM = ("sklearn.",)
_CALLABLE_NAMES = frozenset(
    {
        # Cython helper that only builds instances of its own class.
        "numpy.random.bit_generator:__pyx_unpickle_SeedSequence",
        "numpy:dtype",
        "numpy.random._pickle:__randomstate_ctor",
        "numpy.random._pickle:__bit_generator_ctor",
        "numpy.random._pickle:__generator_ctor",
        "numpy.random._mt19937:MT19937",
        "numpy.random._pcg64:PCG64",
        "numpy.random.mtrand:RandomState",
        "numpy.random._generator:Generator",
    }
)

_pending = threading.local()

# What __reduce_ex__ returns for plain objects: cls.__new__(cls), then the state.
_NEWOBJ = copyreg.__newobj__  # type: ignore[attr-defined]


def _allowed(name: str) -> bool:
    return name.partition(":")[0].split(".")[0] in _ROOTS


def _name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "")
    name = f"{module}:{qualname}"
    if not qualname or "<locals>" in qualname or not _allowed(name):
        raise UnsupportedValueError(f"{name} is not a scikit-learn, NumPy or SciPy name")
    return name


def _resolve(name: str) -> Any:
    if not _allowed(name):
        raise ValueError(f"refusing to import {name!r}: not a scikit-learn, NumPy or SciPy name")
    from stepstone.artifacts.catalog import import_target

    return import_target(name)


def _callable(name: str) -> Any:
    found = _resolve(name)
    if name in _CALLABLE_NAMES or (
        name.startswith(_CALLABLE_CLASSES_FROM)
        # scikit-learn's Cython trees and metrics are rebuilt by a helper that only
        # calls cls.__new__(cls) on its argument.
        and (isinstance(found, type) or name.endswith(":newObj"))
    ):
        return found
    raise ValueError(f"refusing to call {name!r}: not a scikit-learn class")


class _Encoder:
    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.arrays: list[tuple[str, Any]] = []

    def encode(self, obj: Any) -> Any:
        np = self.np
        cls = type(obj)
        if obj is None or cls is bool or cls is str:
            return obj
        if cls is int:
            return obj
        if cls is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if cls is list:
            return [self.encode(item) for item in obj]
        if cls is tuple:
            return {"$tuple": [self.encode(item) for item in obj]}
        if cls is dict:
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if cls is np.ndarray:
            return self._array(obj)
        if isinstance(obj, np.generic) and obj.dtype.kind in "biufcSU":
            return {"$scalar": [obj.dtype.str, self.encode(obj.item())]}
        if cls is np.dtype or isinstance(obj, np.dtype):
            if obj.fields is not None or obj.hasobject:
                raise UnsupportedValueError(f"dtype {obj}")
            return {"$dtype": obj.str}
        if isinstance(obj, (type, np.ufunc)) or (callable(obj) and hasattr(obj, "__qualname__")):
            return {"$ref": _name(obj)}
        return self._object(obj)

    def _array(self, array: Any) -> Any:
        from stepstone.artifacts.materializers.numpy_npy import _plain_dtype

        if _plain_dtype(array.dtype):
            key = f"a{len(self.arrays)}"
            self.arrays.append((key, array))
            return {"$array": key}
        if array.dtype.hasobject and array.dtype.fields is None:
            items = [self.encode(item) for item in array.reshape(-1, order="C").tolist()]
            return {"$objarray": {"shape": list(array.shape), "items": items}}
        raise UnsupportedValueError(f"array of dtype {array.dtype}")

    def _object(self, obj: Any) -> Any:
        cls = type(obj)
        name = _name(cls)
        try:
            reduced = obj.__reduce_ex__(4)
        except Exception as exc:
            raise UnsupportedValueError(f"{name} cannot be reduced: {exc}") from exc
        if isinstance(reduced, str) or not isinstance(reduced, tuple):
            raise UnsupportedValueError(f"{name} reduces to a global")
        function, args, state, *rest = (*reduced, None, None, None)[:5]
        if any(item is not None for item in rest):
            raise UnsupportedValueError(f"{name} reduces with list or dict items")
        if function is _NEWOBJ and args == (cls,):
            if not name.startswith(_CALLABLE_CLASSES_FROM):
                raise UnsupportedValueError(f"{name} is not a scikit-learn class")
            return {"$obj": {"class": name, "state": self.encode(state)}}
        target = _name(function)
        _callable(target)  # refuse now what loading would refuse
        return {
            "$reduce": {
                "call": target,
                "args": self.encode(tuple(args)),
                "state": self.encode(state),
            }
        }


def encode_state(value: Any) -> tuple[Any, list[tuple[str, Any]]]:
    """``(JSON tree, [(name, array)])`` of an estimator. Raises :class:`UnsupportedValueError`."""
    encoder = _Encoder()
    return encoder.encode(value), encoder.arrays


def decode_state(tree: Any, arrays: Any) -> Any:
    """Rebuild a value from :func:`encode_state`'s tree and a mapping of its arrays."""
    import numpy as np

    def decode(node: Any) -> Any:
        if isinstance(node, list):
            return [decode(item) for item in node]
        if not isinstance(node, dict):
            return node
        ((tag, payload),) = node.items()
        if tag == "$tuple":
            return tuple(decode(item) for item in payload)
        if tag == "$dict":
            return {_hashable(decode(k)): decode(v) for k, v in payload}
        if tag == "$float":
            return float(payload)
        if tag == "$array":
            return arrays[payload]
        if tag == "$objarray":
            items = [_hashable(decode(item)) for item in payload["items"]]
            result = np.empty(len(items), dtype=object)
            result[:] = items
            return result.reshape(payload["shape"])
        if tag == "$scalar":
            return np.dtype(payload[0]).type(decode(payload[1]))
        if tag == "$dtype":
            return np.dtype(payload)
        if tag == "$ref":
            return _resolve(payload)
        if tag == "$obj":
            cls = _callable(payload["class"])
            obj = cls.__new__(cls)
            _set_state(obj, decode(payload["state"]))
            return obj
        if tag == "$reduce":
            obj = _callable(payload["call"])(*decode(payload["args"]))
            state = decode(payload["state"])
            if state is not None:
                _set_state(obj, state)
            return obj
        raise ValueError(f"unknown tag {tag!r} in sklearn.state data")

    return decode(tree)


def _hashable(item: Any) -> Any:
    return tuple(item) if isinstance(item, list) else item


def _set_state(obj: Any, state: Any) -> None:
    """What ``pickle`` does with a reduced object's state."""
    if state is None:
        return
    setter = getattr(obj, "__setstate__", None)
    if setter is not None:
        setter(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        obj.__dict__.update(state)
    for key, item in (slots or {}).items():
        setattr(obj, key, item)


class SklearnStateMaterializer(Materializer):
    """Saves scikit-learn estimators (fitted or not, pipelines included) as JSON + ``.npz``.

    Example:
        >>> from sklearn.linear_model import LinearRegression
        >>> SklearnStateMaterializer().summary(LinearRegression())
        {'class': 'sklearn.linear_model._base.LinearRegression', 'fitted': False}
    """

    name = "sklearn.state"
    version = "1"
    handled_types = ("sklearn.base.BaseEstimator",)

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        return data_type.__module__.startswith("sklearn.")

    def can_save(self, value: Any) -> bool:
        try:
            encoded = encode_state(value)
        except (UnsupportedValueError, RecursionError, ValueError):
            return False
        _pending.slot = (value, encoded)
        return True

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        from stepstone.artifacts.materializers.numpy_npz import write_npz

        slot = getattr(_pending, "slot", None)
        _pending.slot = None
        tree, arrays = slot[1] if slot is not None and slot[0] is value else encode_state(value)
        with writer.open(STATE_FILE) as file:
            file.write(json.dumps(tree, separators=(",", ":"), allow_nan=False).encode())
        if arrays:
            with writer.open(ARRAYS_FILE) as file:
                write_npz(file, arrays)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        import numpy as np

        with reader.open(STATE_FILE) as file:
            tree = json.loads(file.read())
        if not reader.exists(ARRAYS_FILE):
            return decode_state(tree, {})
        with np.load(reader.path(ARRAYS_FILE), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        return decode_state(tree, arrays)

    def summary(self, value: Any) -> dict[str, Any]:
        fitted = any(k.endswith("_") and not k.startswith("_") for k in vars(value))
        summary: dict[str, Any] = {"class": qualname_of(type(value)), "fitted": fitted}
        steps = getattr(value, "steps", None)
        if isinstance(steps, list):
            summary["steps"] = [str(step[0]) for step in steps][:20]
        return summary
