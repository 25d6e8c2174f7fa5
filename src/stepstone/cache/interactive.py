"""Code typed into an interactive session: a Jupyter (ipykernel) or IPython kernel.

A kernel runs each cell as code compiled under a name of its own (``/tmp/ipykernel_…/….py``,
``<ipython-input-3-…>``) and keeps the cell's text in :mod:`linecache` under that name, with
no modification time: the text of the code that was *executed*, never what the editor shows
now. Fingerprints read cell code from there, so an edit not yet run changes nothing.

What must never enter a key is the session's bookkeeping: the cell file names, the execution
counts and the history the kernel keeps in the user's namespace (``In``, ``Out``, ``_i3``,
``_3``). The namespace is ``__main__`` without a ``__file__``; its objects are named after the
notebook (``flow.ipynb`` -> ``flow``) when the kernel says which notebook it serves, so a
notebook and a module ``flow.py`` holding the same code share their cache entries, as a script
run as ``python flow.py`` already does.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import types

_HISTORY = re.compile(r"_+|_i+|_i?\d+|_[oid]h|In|Out|exit|quit|get_ipython|_exit_code")
_NOTEBOOK_VARIABLES = ("__session__", "__vsc_ipynb_file__")


def session_module() -> types.ModuleType | None:
    """``__main__`` when it is an interactive namespace (a module without a file), else None."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__file__", None):
        return None
    return main


def is_session_code(module_name: str | None) -> bool:
    """True for functions and classes defined in the interactive namespace (a cell)."""
    return module_name == "__main__" and session_module() is not None


def notebook_stem() -> str | None:
    """The name of the notebook the kernel serves (``flow`` for ``flow.ipynb``), if known.

    Jupyter's server tells the kernel through ``JPY_SESSION_NAME``, which ipykernel puts in the
    namespace as ``__session__``; VS Code sets ``__vsc_ipynb_file__``.
    """
    main = session_module()
    if main is None:
        return None
    for variable in _NOTEBOOK_VARIABLES:
        path = getattr(main, variable, None)
        if isinstance(path, str) and path.endswith(".ipynb"):
            return os.path.splitext(os.path.basename(path))[0]
    return None


def is_bookkeeping(name: str) -> bool:
    """A name the kernel keeps in the namespace for its history, never the user's data."""
    return _HISTORY.fullmatch(name) is not None or name in _NOTEBOOK_VARIABLES


def cell_source(filename: str) -> str | None:
    """The executed text of the cell compiled as ``filename``, or None for other code.

    Only entries without a modification time are cells: a real file's entry is re-read from
    disk by :func:`linecache.checkcache`, a cell's never is.
    """
    entry = linecache.cache.get(filename)
    if entry is None or len(entry) != 4 or entry[1] is not None:
        return None
    return "".join(entry[2])


def cell_label(filename: str) -> str:
    """What explanations call the file of code from ``filename``: a cell is named by its
    notebook (``flow.ipynb``), never by the kernel's temporary file; other files as they are."""
    return filename if cell_source(filename) is None else session_label()


def session_label() -> str:
    """The notebook's file name (``flow.ipynb``), or ``notebook cell`` when it is unknown."""
    stem = notebook_stem()
    return f"{stem}.ipynb" if stem else "notebook cell"
