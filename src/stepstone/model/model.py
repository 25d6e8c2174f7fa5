"""``from stepstone.model.model import Model``, as ZenML programs write it."""

from __future__ import annotations

from stepstone.steps.model import Model

__all__ = ["Model"]
