"""PyTorch tensors and modules: safetensors, no pickle, rebuilt from their class."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stepstone.artifacts import ArtifactStore, materializer_for_type, materializer_for_value
from stepstone.exceptions import PickleFallbackWarning

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from .models import NeedsArguments, TinyNet, tiny_net  # noqa: E402

TENSORS = {
    "float": lambda: torch.arange(12.0).reshape(3, 4),
    "requires-grad": lambda: torch.ones(3, requires_grad=True),
    "strided-view": lambda: torch.arange(20).reshape(4, 5)[:, ::2],
    "bfloat16": lambda: torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
    "bool": lambda: torch.tensor([True, False]),
    "scalar": lambda: torch.tensor(3.25, dtype=torch.float64),
    "empty": lambda: torch.zeros(0, 3),
    "parameter": lambda: torch.nn.Parameter(torch.zeros(2)),
}


@pytest.mark.parametrize("make", TENSORS.values(), ids=TENSORS.keys())
def test_tensors_round_trip(store: ArtifactStore, make: Callable[[], Any]) -> None:
    tensor = make()
    stored = store.save(tensor)
    assert stored.materializer == "torch.safetensors"
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert isinstance(back, torch.Tensor)
    assert back.dtype == tensor.dtype
    assert back.shape == tensor.shape
    assert back.requires_grad == tensor.requires_grad
    assert torch.equal(back.detach(), tensor.detach())
    assert stored.summary == {
        "shape": list(tensor.shape),
        "dtype": str(tensor.dtype),
        "device": "cpu",
    }


def test_sparse_tensors_are_declined() -> None:
    assert materializer_for_value(torch.eye(3).to_sparse()) is None


def test_modules_round_trip_through_their_state_dict(store: ArtifactStore) -> None:
    net = tiny_net().eval()
    net.seen += 7
    stored = store.save(net)
    assert stored.materializer == "torch.module"
    assert stored.summary["parameters"] == sum(p.numel() for p in net.parameters())
    index = json.loads((Path(stored.uri) / "index.json").read_text())
    assert index["class"].endswith("models:TinyNet")
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(back) is TinyNet
    assert not back.training
    assert back.head.weight is back.embed.weight  # tied again by the constructor
    for (name, original), (name_back, loaded) in zip(
        net.state_dict().items(), back.state_dict().items(), strict=True
    ):
        assert name == name_back
        assert torch.equal(original, loaded)
    tokens = torch.tensor([[0, 3, 5]])
    assert torch.equal(back(tokens), net(tokens))
    assert materializer_for_type(TinyNet).name == "torch.module"


def test_modules_that_need_arguments_fall_back_to_pickle(store: ArtifactStore) -> None:
    assert materializer_for_type(NeedsArguments) is None
    with pytest.warns(PickleFallbackWarning, match="No materializer handles"):
        assert store.save(NeedsArguments(3)).materializer == "cloudpickle"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("materializer", "setup", "expression"),
    [
        ("torch.safetensors", "import torch", "torch.linspace(0, 1, 1000).reshape(10, 100)"),
        ("torch.module", "from models import tiny_net", "tiny_net(seed=3)"),
    ],
    ids=["tensor", "module"],
)
def test_same_bytes_in_every_process(
    same_hash_in_fresh_processes: Callable[[str, str, str], str],
    materializer: str,
    setup: str,
    expression: str,
) -> None:
    same_hash_in_fresh_processes(materializer, setup, expression)
