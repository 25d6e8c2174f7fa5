"""How a step's code travels to a worker in another process, and is found there again.

A step defined at the top level of a module travels as a *reference* (module, name) plus
the driver's source of that module:

- where the module is importable (a process pool, a ``LocalCluster``, workers started in
  the project's environment), the worker imports its own copy: that is the code it runs,
  and the fingerprint check compares it with the driver's;
- where it is not (a remote worker without the project's files), the worker builds the
  module from the driver's source, so it runs, and fingerprints, exactly the driver's code.
  The modules *that* module imports must be importable on the worker.

Anything else (a step in ``__main__``, one defined inside a function) is pickled by value
with cloudpickle. Such code is the driver's by construction, but cloudpickle drops its
source file name, so the worker cannot re-read its source: only the libraries it uses are
compared (see :func:`stepstone.execution.worker.check_code`).
"""

from __future__ import annotations

import importlib
import importlib.util
import linecache
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class StepReference:
    """A module-level step: where to find it, and the driver's source of its module."""

    module: str
    name: str
    file: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ShippedCode:
    """A step function ready to travel: a reference, or cloudpickle bytes (by value)."""

    reference: StepReference | None
    by_value: bytes | None


def _function_of(obj: Any) -> Any:
    return getattr(obj, "func", obj)  # a Step object, or the plain function


def ship(func: Callable[..., Any]) -> ShippedCode:
    """Package ``func`` for another process (called when a task is pickled)."""
    module_name = getattr(func, "__module__", None)
    name = getattr(func, "__qualname__", "")
    module = sys.modules.get(module_name or "")
    file = getattr(module, "__file__", None)
    if (
        module is not None
        and module_name != "__main__"
        and file
        and "<" not in name
        and _function_of(getattr(module, name, None)) is func
    ):
        lines = tuple(linecache.getlines(file))
        return ShippedCode(StepReference(module.__name__, name, file, lines), None)
    import cloudpickle

    return ShippedCode(None, cloudpickle.dumps(func))


def _build_module(reference: StepReference) -> types.ModuleType:
    """The module from the driver's source, for a worker that cannot import it."""
    module = types.ModuleType(reference.module)
    module.__file__ = reference.file
    lines = list(reference.lines)
    # mtime None: linecache.checkcache keeps this entry instead of looking for the file.
    linecache.cache[reference.file] = (sum(map(len, lines)), None, lines, reference.file)
    sys.modules[reference.module] = module
    try:
        # The driver's own module, run as importing it would: this is shipping code by value.
        exec(compile("".join(lines), reference.file, "exec"), module.__dict__)  # noqa: S102
    except BaseException:
        del sys.modules[reference.module]
        raise
    return module


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # a parent package that is not there
        return False


def land(shipped: ShippedCode) -> tuple[Callable[..., Any], bool]:
    """The function ``shipped`` stands for, and whether it came by value."""
    reference = shipped.reference
    if reference is None:
        import cloudpickle

        return cloudpickle.loads(shipped.by_value or b""), True
    with _BUILD_LOCK:
        module = sys.modules.get(reference.module)
        if module is None:
            if _importable(reference.module):
                module = importlib.import_module(reference.module)
            else:
                module = _build_module(reference)
    return _function_of(getattr(module, reference.name)), False
