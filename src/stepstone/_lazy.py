"""Names a package exports but imports only on first use (a module ``__getattr__``)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def load_attribute(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any], name: str
) -> Any:
    """Import ``name`` from its module in ``homes`` and keep it in the package ``namespace``.

    Raises ``AttributeError`` (as a module attribute lookup must) for a name not in ``homes``.
    """
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    namespace[name] = value
    return value
