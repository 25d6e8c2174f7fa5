"""Importable model classes for the torch and keras tests (fresh processes import them)."""

from __future__ import annotations

import torch


class TinyNet(torch.nn.Module):
    """Two layers, a buffer, and tied weights: what a state dict must carry."""

    def __init__(self, hidden: int = 4) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(6, hidden)
        self.body = torch.nn.Sequential(torch.nn.Linear(hidden, hidden), torch.nn.ReLU())
        self.head = torch.nn.Linear(hidden, 6, bias=False)
        self.head.weight = self.embed.weight  # tied
        self.register_buffer("seen", torch.tensor(0))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.embed(tokens)))


class NeedsArguments(torch.nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(width, 1)


def tiny_net(seed: int = 0) -> TinyNet:
    torch.manual_seed(seed)
    return TinyNet()
