"""``torch.safetensors`` and ``torch.module``: PyTorch tensors and modules without pickle.

Why safetensors: ``torch.save`` is a pickle (loading it can run code, and its bytes
embed a random-free but layout-dependent zip); safetensors is a JSON header plus raw
little-endian tensor bytes, loads without running code, and gives the same bytes for
the same tensors (the header lists tensors in a fixed order).

Tensors: stored as ``{"tensor": t}`` in ``tensor.safetensors``; device and
``requires_grad`` are recorded in ``index.json``. Loading returns a CPU tensor (the
machine that loads may have no GPU); ``requires_grad`` is restored. Non-contiguous
tensors are written as their contiguous copy; sparse and quantized tensors are declined.

Modules: the choice is *state dict + class path*, rebuilt by construction:
``model.safetensors`` holds ``module.state_dict()`` (parameters and buffers),
``index.json`` the class's importable ``"module:QualName"`` and the training flag.
Loading imports the class, calls it **with no arguments**, and ``load_state_dict(strict=
True)``. So a module is saved this way only if its class is importable (not defined
inside a function) and its ``__init__`` needs no arguments; any other module is declined
and goes to the pickle fallback with its warning. Why not ``torch.save(module)`` with
``weights_only=True`` loading: a whole module is a pickle of its class, which
``weights_only`` refuses unless every user class is allow-listed, i.e. trusted like any
pickle. Construction from code plus weights is what PyTorch itself recommends.
Tensors that share memory (tied weights) are written once per name; the rebuilt module
ties them again itself, as its ``__init__`` did.
"""

from __future__ import annotations

import inspect
import json
from typing import TYPE_CHECKING, Any

from stepstone.artifacts.materializer import Materializer, qualname_of

if TYPE_CHECKING:
    from stepstone.artifacts.files import ArtifactReader, ArtifactWriter

__all__ = ["TorchModuleMaterializer", "TorchTensorMaterializer"]

TENSOR_FILE = "tensor.safetensors"
MODEL_FILE = "model.safetensors"
INDEX_FILE = "index.json"


def _write_json(writer: ArtifactWriter, name: str, document: dict[str, Any]) -> None:
    with writer.open(name) as file:
        file.write(json.dumps(document, sort_keys=True, separators=(",", ":")).encode())


def _read_json(reader: ArtifactReader, name: str) -> dict[str, Any]:
    with reader.open(name) as file:
        document: dict[str, Any] = json.loads(file.read())
    return document


def _plain(tensor: Any) -> Any:
    """A CPU, contiguous, non-shared tensor safetensors can write."""
    return tensor.detach().to("cpu").contiguous()


def _storable(tensor: Any) -> bool:
    import torch

    return tensor.layout == torch.strided and not tensor.is_quantized and not tensor.is_meta


def _save_tensors(tensors: dict[str, Any], writer: ArtifactWriter, name: str) -> None:
    from safetensors.torch import save

    plain: dict[str, Any] = {}
    seen: set[tuple[int, int]] = set()
    for key, tensor in tensors.items():
        flat = _plain(tensor)
        # safetensors refuses tensors sharing memory: copy the second and later ones.
        identity = (flat.untyped_storage().data_ptr(), flat.storage_offset())
        if identity in seen or flat.untyped_storage().nbytes() != flat.nbytes:
            flat = flat.clone()
        seen.add(identity)
        plain[key] = flat
    with writer.open(name) as file:
        file.write(save(plain))


def _load_tensors(reader: ArtifactReader, name: str) -> dict[str, Any]:
    from safetensors.torch import load

    with reader.open(name) as file:
        loaded: dict[str, Any] = load(file.read())
    return loaded


class TorchTensorMaterializer(Materializer):
    """Saves ``torch.Tensor`` (and ``nn.Parameter``, loaded as a tensor) with safetensors.

    Example:
        >>> import torch
        >>> TorchTensorMaterializer().summary(torch.zeros(2, 3))
        {'shape': [2, 3], 'dtype': 'torch.float32', 'device': 'cpu'}
    """

    name = "torch.safetensors"
    version = "1"
    # safetensors is a format designed to be read from untrusted sources.
    safe_on_damaged_bytes = True
    handled_types = ("torch.Tensor",)

    def can_save(self, value: Any) -> bool:
        return _storable(value)

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        _write_json(writer, INDEX_FILE, {"requires_grad": bool(value.requires_grad)})
        _save_tensors({"tensor": value}, writer, TENSOR_FILE)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        index = _read_json(reader, INDEX_FILE)
        tensor = _load_tensors(reader, TENSOR_FILE)["tensor"]
        if index.get("requires_grad"):
            tensor.requires_grad_(True)
        return tensor

    def summary(self, value: Any) -> dict[str, Any]:
        return {"shape": list(value.shape), "dtype": str(value.dtype), "device": str(value.device)}


def _constructible(cls: type) -> bool:
    """Whether ``cls()`` can be called: importable, and ``__init__`` needs no argument."""
    if "<locals>" in cls.__qualname__:
        return False
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty
        or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        for p in signature.parameters.values()
    )


class TorchModuleMaterializer(Materializer):
    """Saves a ``torch.nn.Module`` as its state dict (safetensors) plus its class path;
    loads by constructing the class with no arguments and loading the state dict.

    Example:
        >>> import torch
        >>> TorchModuleMaterializer().summary(torch.nn.Linear(3, 2))["parameters"]
        8
    """

    name = "torch.module"
    version = "1"
    handled_types = ("torch.nn.modules.module.Module",)

    @classmethod
    def handles_type(cls, data_type: type) -> bool:
        return _constructible(data_type)

    def can_save(self, value: Any) -> bool:
        if not _constructible(type(value)):
            return False
        return all(_storable(t) for t in value.state_dict().values())

    def save(self, value: Any, writer: ArtifactWriter) -> None:
        cls = type(value)
        target = f"{cls.__module__}:{cls.__qualname__}"
        _write_json(writer, INDEX_FILE, {"class": target, "training": bool(value.training)})
        _save_tensors(dict(value.state_dict()), writer, MODEL_FILE)

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        from stepstone.artifacts.catalog import import_target

        index = _read_json(reader, INDEX_FILE)
        cls = import_target(index["class"])
        module = cls()
        module.load_state_dict(_load_tensors(reader, MODEL_FILE), strict=True)
        module.train(index["training"])
        return module

    def summary(self, value: Any) -> dict[str, Any]:
        parameters = sum(p.numel() for p in value.parameters())
        trainable = sum(p.numel() for p in value.parameters() if p.requires_grad)
        return {
            "class": qualname_of(type(value)),
            "parameters": parameters,
            "trainable": trainable,
            "tensors": len(value.state_dict()),
        }
