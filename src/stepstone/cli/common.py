"""Pieces every command module shares: sub-command groups and the common arguments.

The aliases below make the same argument read the same everywhere (``RUN`` always takes an
id, an id prefix, a name or ``latest``; ``--json`` always means "plain JSON on stdout").
Command modules import them at run time, not under ``TYPE_CHECKING``: Typer evaluates the
annotations of a command to build its parameters.
"""

from __future__ import annotations

from typing import Annotated

import typer

RUN_HELP = "Run id, a unique id prefix, run name, or 'latest'."

RunArgument = Annotated[str, typer.Argument(metavar="RUN", help=RUN_HELP)]
StepArgument = Annotated[
    str, typer.Argument(metavar="STEP", help="Step name as shown by 'stepstone runs show RUN'.")
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")
]


def sub_app(help_text: str) -> typer.Typer:
    """A command group like the root one: plain (fast) help, help when called bare.

    Completion options belong to the root only (``stepstone --install-completion``).

    ``rich_markup_mode=None`` keeps Typer from importing its Rich help formatter, which costs
    more start-up time than everything else ``stepstone --help`` imports.
    """
    return typer.Typer(
        help=help_text, no_args_is_help=True, rich_markup_mode=None, add_completion=False
    )
