"""The store's error messages: what failed, the value, and how to fix it.

Kept apart from :mod:`.store` so the store reads as the sequence of steps it takes; each
function returns the exception for the store to raise (``raise ... from exc``).
"""

from __future__ import annotations

import errno
from typing import Any

from stepstone.artifacts.materializer import Materializer, qualname_of
from stepstone.exceptions import ArtifactStoreFullError, MaterializerError

__all__ = ["load_error", "pickle_refused", "save_error", "store_full"]

# What the file system says when it has no room for a write, and what frees some.
_MOVE = "move the artifact root (STEPSTONE_ARTIFACT_ROOT, or 'artifact_root' in config.toml)"
_FULL = {
    errno.ENOSPC: ("No space left on device", f"free space or {_MOVE}"),
    errno.EDQUOT: ("Disk quota exceeded", f"free space, raise the quota, or {_MOVE}"),
    errno.EFBIG: (
        "File too large for the file system or the process's file-size limit",
        f"raise the limit (ulimit -f) or {_MOVE} to a file system that allows larger files",
    ),
}


def store_full(exc: BaseException, where: str) -> ArtifactStoreFullError | None:
    """The error for a write refused for lack of room under ``where``, else None.

    Checked before blaming the materializer: a full disk is the store's problem, which
    the user fixes by freeing space or moving the artifact root, not by changing code.
    """
    if not isinstance(exc, OSError) or exc.errno not in _FULL:
        return None
    what, fix = _FULL[exc.errno]
    return ArtifactStoreFullError(
        f"{what} under {where}; {fix}. Nothing was stored; run again once there is room."
    )


def save_error(
    value: Any, cls: type[Materializer], exc: Exception, *, fallback: bool
) -> MaterializerError:
    """A materializer failed to save ``value`` (``fallback``: it was the pickle fallback)."""
    data_type = qualname_of(type(value))
    if fallback:
        hint = (
            f" Register a materializer for it with @register_materializer"
            f"({type(value).__name__}) on a stepstone.artifacts.Materializer subclass."
        )
    else:
        hint = " Fix the materializer, or choose another with save(..., materializer=...)."
    return MaterializerError(
        f"Could not save a value of type {data_type!r} with materializer {cls.name!r} "
        f"(version {cls.version}): {type(exc).__name__}: {exc}.{hint}"
    )


def load_error(
    uri: str, data_type: str | None, cls: type[Materializer], exc: Exception
) -> MaterializerError:
    """A materializer failed to read an artifact whose bytes are intact."""
    return MaterializerError(
        f"Could not load artifact {uri!r} (type {data_type or 'unknown'}) with "
        f"materializer {cls.name!r} (version {cls.version}): {type(exc).__name__}: {exc}"
    )


def pickle_refused(
    root: str, uri: str, data_type: str | None, cls: type[Materializer]
) -> MaterializerError:
    """Loading a pickled artifact from a store that does not allow pickle."""
    what = data_type or "unknown type"
    return MaterializerError(
        f"Refusing to load artifact {uri!r} ({what}): it was stored with materializer "
        f"{cls.name!r}, which uses pickle, and loading pickles is disabled for the "
        f"artifact store at {root!r} (a pickle can run any code when loaded). If you "
        "trust everyone who writes to this store, allow it with STEPSTONE_ALLOW_PICKLE=1 "
        "or 'allow_pickle = true' in config.toml (ArtifactStore(..., allow_pickle=True)); "
        f"better, register a materializer for {what} so it is not pickled."
    )
