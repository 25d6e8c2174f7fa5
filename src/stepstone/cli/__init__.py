"""The ``stepstone`` command line: a thin Typer app over :class:`stepstone.Client` and friends.

Commands only parse arguments, call the library and render with Rich; anything a command
knows that a script would also want belongs in the library instead. Heavy modules (the
stores, SQLAlchemy, numpy, Rich tables) are imported inside the command that needs them,
so ``stepstone --help`` starts in well under a second.

Errors follow one rule: a user's mistake (an unknown run or example, a bad config value, a
file in the way) prints one line to stderr and exits with status 2; another stepstone error
(a failed step, an unreachable database) prints one line and exits with status 1; a bug
shows its traceback. ``stepstone --debug …`` shows the traceback of every error.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``stepstone`` executable (``[project.scripts]``)."""
    from stepstone.cli.app import app

    app(prog_name="stepstone")
