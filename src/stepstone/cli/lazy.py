"""Sub-commands built on first use, so a command pays only for itself.

Typer turns a whole app into Click commands before running any of them: for each of the
two dozen commands it evaluates the signature's annotations (twice). That is tens of
milliseconds of every ``stepstone …`` invocation, spent on commands that will not run. The
root group therefore names its sub-commands by module and attribute
(:class:`LazyCommand`) and converts one only when Click asks for it: to run it, to complete
it, or to show its own help. ``stepstone --help`` lists them all without converting any:
each one's summary is the first line of its docstring (a function) or its ``help`` (a
sub-app), exactly what Click would have shown.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a sub-command lives: a command function or a ``typer.Typer`` sub-app."""

    module: str
    attribute: str
    no_args_is_help: bool = False

    def load(self) -> Any:
        return getattr(importlib.import_module(self.module), self.attribute)


def _summary(target: Any, limit: int) -> str:
    """The one-line help ``stepstone --help`` shows for a command, cut at a word to ``limit``."""
    if isinstance(target, typer.Typer):
        text = target.info.help
        text = text if isinstance(text, str) else ""
    else:
        text = inspect.getdoc(target) or ""
    line = text.strip().split("\n\n", 1)[0].replace("\n", " ")
    if len(line) <= limit:
        return line
    return line[: max(limit - 3, 0)].rsplit(" ", 1)[0] + "..."


class LazyGroup(TyperGroup):
    """A Typer group whose :attr:`lazy_commands` are converted to Click commands on demand.

    Subclasses set :attr:`lazy_commands` (name -> :class:`LazyCommand`) and :attr:`order`
    (how ``--help`` lists commands; unlisted names follow, sorted).
    """

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}
    order: ClassVar[tuple[str, ...]] = ()

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        names = set(super().list_commands(ctx)) | set(self.lazy_commands)
        rank = {name: position for position, name in enumerate(self.order)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(self._convert(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        """Click's lookup, with "did you mean" over every command (Typer's sees built ones)."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:  # Click's UsageError: "No such command 'x'."
            message = getattr(exc, "message", None)
            if args and isinstance(message, str) and "Did you mean" not in message:
                matches = difflib.get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(f"{match!r}" for match in matches)
                    exc.message = f"{message.rstrip('.')}. Did you mean {suggestions}?"  # type: ignore[attr-defined]
            raise

    def _convert(self, name: str) -> Any:
        entry = self.lazy_commands[name]
        target = entry.load()
        if not isinstance(target, typer.Typer):
            holder = typer.Typer(add_completion=False, rich_markup_mode=None)
            holder.command(name, no_args_is_help=entry.no_args_is_help)(target)
            target = holder
        command = typer.main.get_command(target)
        command.name = name
        return command

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands or name not in self.lazy_commands:
                command = super().get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, _summary(self.lazy_commands[name].load(), limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
