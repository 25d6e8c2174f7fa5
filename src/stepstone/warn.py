"""Warnings that point at the user's line, not at stepstone's.

A ``stacklevel`` counted by hand breaks whenever a call path gains or loses a frame, and the
same warning is reached by several paths (the pickle fallback from ``ArtifactStore.save``,
from ``materializer_for`` and from a step's outputs saved by the driver). :func:`warn_user`
instead walks up the stack past every frame inside the ``stepstone`` package and attributes
the warning to the first frame outside it: the user's pipeline call, script or notebook cell.
"""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` that names the nearest caller outside stepstone.

    Counted as :func:`warnings.warn` counts it when called from the function that calls this
    one (1 = that function). Where no frame lies outside stepstone (a step's outputs saved on
    a worker thread), the outermost frame is named.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def warn_user(message: str, category: type[Warning]) -> None:
    """Issue ``message`` as a ``category`` warning attributed to the user's nearest line."""
    # user_stacklevel() counts from here; warn_user is itself a stepstone frame, so the
    # level it returns already skips it.
    warnings.warn(message, category, stacklevel=user_stacklevel())
