"""Names a package exports but imports only on first use (a module ``__getattr__``)."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import Any


def load_attribute(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any], name: str
) -> Any:
    """Import ``name`` from its module in ``homes`` and keep it in the package ``namespace``.

    Raises ``AttributeError`` (as a module attribute lookup must) for a name not in ``homes``,
    offering the closest name the package has (``get_step_contxt`` -> ``get_step_context``).
    """
    home = homes.get(name)
    if home is None:
        known = [key for key in (*homes, *namespace) if not key.startswith("_")]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise AttributeError(f"module {package!r} has no attribute {name!r}.{hint}")
    value = getattr(importlib.import_module(home), name)
    namespace[name] = value
    return value
