"""What the command line counts as a user's mistake, and the exit statuses it uses.

The root group (:class:`stepstone.cli.app.StepstoneGroup`) turns every
:class:`~stepstone.exceptions.StepstoneError` into one line on stderr. Whether that line
ends the process with status 2 ("you asked for something that is not there, fix the
command") or 1 ("it broke") is decided here, in one place, so every command agrees.

Library errors keep their own types: the CLI never re-words "no run matches 'x'". The one
error type the CLI raises of its own, :class:`~stepstone.exceptions.UsageError`, is for
mistakes only the command line can make (a malformed ``-p`` value, an export path in the
way). Both kinds are :class:`~stepstone.exceptions.UserError`: the tree, not a list kept
here, says which errors exit with status 2.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from stepstone.config import parse_bool
from stepstone.exceptions import InvalidBooleanError, UsageError, UserError

if TYPE_CHECKING:
    import typer

USAGE_EXIT_CODE = 2
"""Exit status of a user's mistake, the same status Click uses for a bad option."""

FAILURE_EXIT_CODE = 1
"""Exit status of any other stepstone error (a step failed, a store is unreachable)."""


def is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` means "you asked for something wrong or absent" rather than "it broke".

    The tree decides (:class:`~stepstone.exceptions.UserError`): a definition mistake, a bad
    setting, a refused housekeeping request or a query that names nothing did nothing, and
    only the user's edit fixes it.
    """
    return isinstance(exc, UserError)


def debug_requested(ctx: typer.Context | None) -> bool:
    """Whether ``--debug`` (on the root command) or ``STEPSTONE_DEBUG=1`` asks for tracebacks."""
    if ctx is not None and ctx.find_root().params.get("debug"):
        return True
    try:
        return debug_variable()
    except UsageError:  # the root command refuses it before any command runs
        return False


def debug_variable() -> bool:
    """``STEPSTONE_DEBUG`` read with the one on/off vocabulary (unset or empty: off).

    Raises:
        UsageError: a value that is not an on/off word, naming the variable.
    """
    raw = os.environ.get("STEPSTONE_DEBUG", "")
    if not raw.strip():
        return False
    try:
        return parse_bool(raw)
    except InvalidBooleanError as exc:
        raise UsageError(f"STEPSTONE_DEBUG={raw!r} is not on or off: use {exc.expected}.") from None
