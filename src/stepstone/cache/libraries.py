"""Telling project code from library code, and naming a library's version.

Project code is hashed by its source; library code (the standard library and anything
installed in site-packages) by its distribution name and version, because its source is
not the user's to edit and hashing it would cost far more than it buys.

Deciding which is which never imports anything: :func:`locate_module` asks
``importlib.util.find_spec`` for the *top-level* name only (finding a spec runs no package
code; finding ``sklearn.datasets`` would import ``sklearn``) and reads where it lives. A
library's version comes from its ``*.dist-info`` folder beside it, read once per folder, so
neither the library nor the slow scan of every installed distribution is needed.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import site
import sys
import sysconfig
from typing import Literal


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


_INSTALLED = (".dist-info", ".egg-info")


@functools.cache
def _installed(folder: str) -> tuple[str, ...]:
    """The metadata folders (``name-version.dist-info``) of the distributions in ``folder``."""
    try:
        return tuple(sorted(e.path for e in os.scandir(folder) if e.name.endswith(_INSTALLED)))
    except OSError:
        return ()


@functools.cache
def _declared_tops(folder: str) -> dict[str, str]:
    """Top-level name -> metadata folder, from ``top_level.txt`` or the distribution's name."""
    index: dict[str, str] = {}
    for path in _installed(folder):
        name = os.path.basename(path).partition("-")[0]
        index.setdefault(name.lower().replace("-", "_").replace(".", "_"), path)
        try:
            with open(os.path.join(path, "top_level.txt"), encoding="utf-8") as handle:
                for top in handle.read().split():
                    index.setdefault(top, path)
        except OSError:
            continue
    return index


@functools.cache
def _recorded_tops(folder: str) -> dict[str, str]:
    """Top-level name -> metadata folder, from the first path component of ``RECORD`` lines.

    Read only when a name is neither declared nor the distribution's own (``sklearn`` of
    ``scikit-learn``): modern wheels often ship no ``top_level.txt``.
    """
    index: dict[str, str] = {}
    for path in _installed(folder):
        try:
            with open(os.path.join(path, "RECORD"), encoding="utf-8") as handle:
                for line in handle:
                    head = line.split(",", 1)[0].split("/", 1)[0]
                    index.setdefault(head.partition(".")[0], path)  # a module file or extension
        except OSError:
            continue
    return index


def _distribution(path: str) -> tuple[str, str]:
    """``(name, version)`` of a metadata folder, from its name (the wheel spec fixes it)."""
    name, _, version = os.path.basename(path).rpartition(".")[0].partition("-")
    if not version:  # an egg-info folder may carry no version in its name
        from importlib import metadata  # ~10 ms of imports, paid only here

        version = metadata.Distribution.at(path).version
    return name.replace("_", "-"), version


def _spec_locations(top: str) -> list[str] | None:
    """Where the top-level module ``top`` lives, without importing it; None if not found."""
    module = sys.modules.get(top)
    try:
        spec = getattr(module, "__spec__", None) if module else importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin and spec.has_location:
        return [spec.origin]
    return list(spec.submodule_search_locations or [])


ModuleKind = Literal["project", "library", "missing"]


@functools.cache
def locate_module(module_name: str) -> ModuleKind:
    """Whether ``module_name`` is project code, a library, or cannot be found; imports nothing.

    Decided by its top-level package: a package is one thing or the other as a whole.
    """
    top = module_name.split(".")[0]
    if not top:
        return "missing"
    if top in sys.stdlib_module_names or top in ("builtins", "stepstone"):
        return "library"
    locations = _spec_locations(top)
    if locations is None:
        return "missing"
    if any(is_project_file(location) for location in locations):
        return "project"
    return "library"


@functools.cache
def library_version(module_name: str) -> tuple[str | None, str]:
    """``(distribution, version)`` for a module; the standard library is ``python``.

    stepstone's own modules return ``(None, "")``: the key schema version covers them.
    Nothing is imported: the version is read from the distribution's metadata folder.
    """
    top = (module_name or "").split(".")[0]
    if not top or top == "stepstone":
        return None, ""
    if top in sys.stdlib_module_names or top == "builtins":
        return "python", f"{sys.version_info.major}.{sys.version_info.minor}"
    for location in _spec_locations(top) or []:
        folder = os.path.dirname(location.rstrip(os.sep))
        if os.path.basename(location).startswith("__init__."):  # a package: its parent
            folder = os.path.dirname(folder)
        installed = _declared_tops(folder).get(top) or _recorded_tops(folder).get(top)
        if installed is not None:
            return _distribution(installed)
    from importlib import metadata  # ~10 ms of imports: only for a library found no other way

    try:
        return top, metadata.version(top)
    except (metadata.PackageNotFoundError, ValueError):
        pass
    module = sys.modules.get(top)
    version = getattr(module, "__version__", None)
    return top, str(version) if version else "unversioned"
