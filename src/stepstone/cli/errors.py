"""What the command line counts as a user's mistake, and the exit statuses it uses.

The root group (:class:`stepstone.cli.app.StepstoneGroup`) turns every
:class:`~stepstone.exceptions.StepstoneError` into one line on stderr. Whether that line
ends the process with status 2 ("you asked for something that is not there, fix the
command") or 1 ("it broke") is decided here, in one place, so every command agrees.

Library errors keep their own types: the CLI never re-words "no run matches 'x'". The one
error type the CLI adds, :class:`UsageError`, is for mistakes only the command line can
make (a malformed ``-p`` value, ``--older-than 3 weeks``, an export path in the way).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from stepstone.exceptions import StepstoneError

if TYPE_CHECKING:
    import typer

USAGE_EXIT_CODE = 2
"""Exit status of a user's mistake, the same status Click uses for a bad option."""

FAILURE_EXIT_CODE = 1
"""Exit status of any other stepstone error (a step failed, a store is unreachable)."""


class UsageError(StepstoneError):
    """A command line that cannot work as typed: the message says what to type instead."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Errors that mean "you asked for something that is not there" rather than "it broke".

    A :class:`~stepstone.exceptions.DefinitionError` is the user's code wired wrongly (or an
    unknown ``--refresh`` step): nothing ran, and only an edit can fix it, so it is a usage
    mistake too, not a failed run. A refused housekeeping request
    (:class:`~stepstone.maintenance.MaintenanceError`: "runs are in progress", "no cache
    entries for step 'x'") likewise did nothing and says what to type instead.
    """
    from stepstone.examples import ExampleExistsError, ExampleNotFoundError
    from stepstone.exceptions import (
        ConfigError,
        DefinitionError,
        RunNotFoundError,
        StepNotFoundError,
    )
    from stepstone.maintenance import MaintenanceError

    return (
        UsageError,
        RunNotFoundError,
        StepNotFoundError,
        ConfigError,
        DefinitionError,
        ExampleNotFoundError,
        ExampleExistsError,
        MaintenanceError,
    )


def debug_requested(ctx: typer.Context | None) -> bool:
    """Whether ``--debug`` (on the root command) or ``STEPSTONE_DEBUG=1`` asks for tracebacks."""
    if ctx is not None and ctx.find_root().params.get("debug"):
        return True
    return os.environ.get("STEPSTONE_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
