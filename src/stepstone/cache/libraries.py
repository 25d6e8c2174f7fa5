"""Telling project code from library code, and naming a library's version.

Project code is hashed by its source; library code (the standard library and anything
installed in site-packages) by its distribution name and version, because its source is
not the user's to edit and hashing it would cost far more than it buys.
"""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig
from importlib import metadata


@functools.cache
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.update(getattr(site, "getsitepackages", lambda: [])())
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if isinstance(user_site, str):
        roots.add(user_site)
    roots.add(os.path.dirname(os.path.dirname(__file__)))  # stepstone itself is a library here
    return tuple(sorted(os.path.realpath(root) + os.sep for root in roots))


@functools.cache
def is_project_file(path: str) -> bool:
    """True for user code: a real file outside the standard library and site-packages."""
    if not path or path.startswith("<"):
        return True  # code without a file (a notebook cell, exec): the user's own
    real = os.path.realpath(path)
    return not any(real.startswith(root) for root in _library_roots())


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


@functools.cache
def library_version(module_name: str) -> tuple[str | None, str]:
    """``(distribution, version)`` for a module; the standard library is ``python``.

    stepstone's own modules return ``(None, "")``: the key schema version covers them.
    """
    top = (module_name or "").split(".")[0]
    if not top or top == "stepstone":
        return None, ""
    if top in sys.stdlib_module_names or top == "builtins":
        return "python", f"{sys.version_info.major}.{sys.version_info.minor}"
    for distribution in _distributions().get(top, []):
        try:
            return distribution, metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    module = sys.modules.get(top)
    version = getattr(module, "__version__", None)
    return top, str(version) if version else "unversioned"
