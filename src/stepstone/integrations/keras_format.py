"""``keras.model``: Keras 3 models in the native ``.keras`` format, made deterministic.

A ``.keras`` file is a zip of ``config.json`` (the architecture), ``metadata.json`` and
``model.weights.h5``. Keras writes it non-deterministically in three ways, all fixed
here by rewriting the zip after ``model.save``:

* ``metadata.json`` holds ``date_saved``: set to a fixed value;
* ``config.json`` numbers shared objects (``shared_object_id``) by their memory address
  (``id()``), different in every process: renumbered 1, 2, 3… in order of first
  appearance, which keeps every reference between them intact;
* zip members carry the time of saving: every member gets the zip epoch (1980-01-01),
  fixed permissions and "created by Unix", and members are written in name order.

The HDF5 weights file is deterministic as Keras writes it (no timestamps are tracked).
Loading uses ``keras.saving.load_model`` with its ``safe_mode`` (no lambda code is
deserialized); custom layers must be registered with
``@keras.saving.register_keras_serializable``, as for any ``.keras`` file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from typing import IO, TYPE_CHECKING, Any, cast

from stepstone.artifacts.materializer import Materializer, qualname_of

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["KerasModelMaterializer", "deterministic_keras_zip"]

MODEL_FILE = "model.keras"
_FIXED_DATE = "1980-01-01@00:00:00"


def _renumber(config: Any, numbers: dict[int, int]) -> Any:
    """Replace every ``shared_object_id`` by its order of first appearance."""
    if isinstance(config, dict):
        result = {}
        for key, item in config.items():
            if key == "shared_object_id" and isinstance(item, int):
                result[key] = numbers.setdefault(item, len(numbers) + 1)
            else:
                result[key] = _renumber(item, numbers)
        return result
    if isinstance(config, list):
        return [_renumber(item, numbers) for item in config]
    return config


def _canonical_member(name: str, data: bytes) -> bytes:
    if name == "config.json":
        config = _renumber(json.loads(data), {})
        return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    if name == "metadata.json":
        metadata = json.loads(data)
        if "date_saved" in metadata:
            metadata["date_saved"] = _FIXED_DATE
        return json.dumps(metadata, sort_keys=True, separators=(",", ":")).encode()
    return data


def deterministic_keras_zip(source: str, file: Any) -> None:
    """Rewrite the ``.keras`` zip at ``source`` into ``file`` with the fixes above."""
    from stepstone.artifacts.materializers.numpy_npz import _member, _Unseekable

    with zipfile.ZipFile(source) as original:
        names = sorted(original.namelist())
        sink = cast("IO[bytes]", _Unseekable(file))
        with zipfile.ZipFile(sink, mode="w") as target:
            for name in names:
                data = _canonical_member(name, original.read(name))
                with target.open(_member(name), "w", force_zip64=len(data) >= 1 << 31) as out:
                    out.write(data)


class KerasModelMaterializer(Materializer):
    """Saves Keras 3 models (``keras.Model``, ``Sequential``, functional) as ``.keras``.

    Example:
        >>> import keras  # doctest: +SKIP
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])  # doctest: +SKIP
        >>> KerasModelMaterializer().summary(model)["parameters"]  # doctest: +SKIP
        10
    """

    name = "keras.model"
    version = "1"
    handled_types = ("keras.src.models.model.Model",)

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        optimizer = getattr(value, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", True):
            # Keras cannot load a compiled model whose optimizer never ran (the saved
            # optimizer has fewer variables than the rebuilt one): build it first, which
            # creates the zeroed slots its first training step would.
            optimizer.build(value.trainable_variables)
        folder = tempfile.mkdtemp(prefix="stepstone-keras-")
        try:
            path = os.path.join(folder, MODEL_FILE)
            value.save(path)
            with writer.open(MODEL_FILE) as file:
                deterministic_keras_zip(path, file)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        import keras

        return keras.saving.load_model(reader.path(MODEL_FILE))

    def summary(self, value: Any) -> dict[str, Any]:
        summary: dict[str, Any] = {"class": qualname_of(type(value)), "layers": len(value.layers)}
        if value.built:
            summary["parameters"] = int(value.count_params())
        return summary
