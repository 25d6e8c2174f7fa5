"""``stepstone materializers``: which types are stored how, and which fall back to pickle."""

from __future__ import annotations

from dataclasses import asdict

from stepstone.cli.common import JsonFlag


def materializers(as_json: JsonFlag = False) -> None:
    """List registered materializers: name, version, the types each stores, pickle or not."""
    from stepstone.artifacts import registered_materializers
    from stepstone.cli import documents

    rows = [asdict(info) for info in registered_materializers()]
    for row in rows:
        row["handled_types"] = list(row["handled_types"])
    if as_json:
        documents.print_json({"materializers": rows})
        return
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from stepstone.cli import render

    table = Table(title="Materializers", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("stores", overflow="fold")
    table.add_column("pickle", no_wrap=True)
    for row in rows:
        table.add_row(
            escape(row["name"]),
            escape(str(row["version"])),
            escape(", ".join(row["handled_types"]) or "any value (last resort)"),
            "[yellow]yes[/yellow]" if row["uses_pickle"] else "no",
        )
    out = render.console()
    out.print(table)
    out.print(
        "Register your own with @register_materializer(MyType) on a "
        "stepstone.artifacts.Materializer subclass, or pass @step(materializer=...)."
    )
