"""Built-in materializers; importing this package registers them.

* ``builtins.json`` (:mod:`.builtin_json`): JSON-like built-ins, canonical and type-exact.
* ``numpy.npy`` (:mod:`.numpy_npy`): NumPy arrays and scalars, never pickled.
* ``cloudpickle`` (:mod:`.pickled`): the fallback for everything else (warns once per type).

None of them imports its library at import time. Materializers for other libraries live
in :mod:`stepstone.integrations`, imported on demand.
"""

from __future__ import annotations

from stepstone.artifacts.materializers.builtin_json import BuiltinsJsonMaterializer
from stepstone.artifacts.materializers.numpy_npy import NumpyMaterializer
from stepstone.artifacts.materializers.pickled import CloudpickleMaterializer

__all__ = ["BuiltinsJsonMaterializer", "CloudpickleMaterializer", "NumpyMaterializer"]
