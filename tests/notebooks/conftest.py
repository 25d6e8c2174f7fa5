"""Notebook tests run real kernels: ipykernel, driven by nbclient (the dev extras)."""

from __future__ import annotations

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
