"""Built-in materializers; importing this package registers them.

* ``builtins.json`` (:mod:`.builtin_json`): JSON-like built-ins, canonical and type-exact.
* ``numpy.npy`` (:mod:`.numpy_npy`): NumPy arrays and scalars, never pickled.
* ``numpy.npz`` (:mod:`.numpy_npz`): a dict, tuple or list of arrays as one ``.npz``.
* ``dataclass.json``, ``pydantic.json`` (:mod:`.structured`): typed records as JSON.
* ``pathlib.path`` (:mod:`.paths`): a file or directory, its content copied in.
* ``cloudpickle`` (:mod:`.pickled`): the fallback for everything else (warns once per type).

None of them imports its library at import time. Materializers for other libraries live
in :mod:`stepstone.integrations`, imported on demand (see :mod:`..catalog`).
"""

from __future__ import annotations

from stepstone.artifacts.materializers.builtin_json import BuiltinsJsonMaterializer
from stepstone.artifacts.materializers.numpy_npy import NumpyMaterializer
from stepstone.artifacts.materializers.numpy_npz import NumpyNpzMaterializer
from stepstone.artifacts.materializers.paths import PathMaterializer
from stepstone.artifacts.materializers.pickled import CloudpickleMaterializer
from stepstone.artifacts.materializers.structured import (
    DataclassMaterializer,
    PydanticMaterializer,
)

__all__ = [
    "BuiltinsJsonMaterializer",
    "CloudpickleMaterializer",
    "DataclassMaterializer",
    "NumpyMaterializer",
    "NumpyNpzMaterializer",
    "PathMaterializer",
    "PydanticMaterializer",
]
