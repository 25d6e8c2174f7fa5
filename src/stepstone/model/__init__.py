"""``Model`` where ZenML programs import it from (``zenml.model.model``).

It is defined with the step options that take it: :mod:`stepstone.steps.model`.
"""

from __future__ import annotations

from stepstone.steps.model import Model

__all__ = ["Model"]
