"""Artifact storage: content-addressed step outputs and the materializers that write them.

::

    value ──materializer_for_value()──▶ Materializer.save(value, writer)
                                         │  files hashed (BLAKE3) while written
                                         ▼
           <root>/.staging/<uuid>/  ──rename──▶  <root>/<hash[:2]>/<hash>/
                                                  files + manifest (name, hash, size)

* :class:`ArtifactStore` (:mod:`.store`) saves and loads values; local roots use plain
  ``os`` calls, other URLs go through fsspec (:mod:`.backends`).
* :class:`Materializer` (:mod:`.materializer`) is the base class of formats; the
  registry (:mod:`.registry`) maps types, by ``"module.QualName"``, to materializers.
* Built-in materializers (:mod:`.materializers`): ``builtins.json``, ``numpy.npy``,
  ``numpy.npz``, ``dataclass.json``, ``pydantic.json``, ``pathlib.path`` and the
  ``cloudpickle`` fallback; third-party ones (pandas, pyarrow, polars, scikit-learn,
  PyTorch, Keras) live in :mod:`stepstone.integrations`, known here by name only
  (:mod:`.catalog`) and imported on first use.
* Loads are verified against the content hash while reading (:mod:`.integrity`).

Importing this package is cheap: NumPy, fsspec, cloudpickle and every integration are
imported only when a value, a URL or a pickle needs them.
"""

from __future__ import annotations

from stepstone.artifacts import materializers as _builtin_materializers  # registers them
from stepstone.artifacts.external import ExternalArtifact
from stepstone.artifacts.files import ArtifactReader, ArtifactWriter
from stepstone.artifacts.hashing import hash_bytes
from stepstone.artifacts.materializer import Materializer
from stepstone.artifacts.registry import (
    MaterializerInfo,
    get_materializer,
    materializer_for,
    materializer_for_type,
    materializer_for_value,
    register_materializer,
    registered_materializers,
    registry_snapshot,
    resolve_materializer,
)
from stepstone.artifacts.store import ArtifactStore, StoredArtifact, open_artifact_store

del _builtin_materializers

__all__ = [
    "ArtifactReader",
    "ArtifactStore",
    "ArtifactWriter",
    "ExternalArtifact",
    "Materializer",
    "MaterializerInfo",
    "StoredArtifact",
    "get_materializer",
    "hash_bytes",
    "materializer_for",
    "materializer_for_type",
    "materializer_for_value",
    "open_artifact_store",
    "register_materializer",
    "registered_materializers",
    "registry_snapshot",
    "resolve_materializer",
]
