"""Real Jupyter kernels for the notebook tests: ipykernel started and driven by nbclient.

A :class:`Kernel` is a fresh ``python3`` kernel over a notebook that grows as the test adds
cells, so every cell is compiled and registered by the kernel as Jupyter would (temporary
cell file names, execution counts, the ``In``/``Out`` history). ``run`` executes a new cell;
``rerun`` executes an existing cell again, after an optional edit, and ``edit`` changes a
cell's text without executing it, as typing in the editor does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from shared_fixtures import SRC


@dataclass
class CellResult:
    """What a cell printed and displayed, and the error it raised."""

    stdout: str
    data: list[dict[str, Any]]
    error: dict[str, Any] | None

    def value(self) -> Any:
        """The JSON document the cell printed last (cells print ``json.dumps(...)``)."""
        if self.error is not None:
            raise AssertionError(f"{self.error['ename']}: {self.error['evalue']}")
        return json.loads(self.stdout.strip().splitlines()[-1])


class Kernel:
    """One kernel process and the notebook whose cells it executed."""

    def __init__(self, client: NotebookClient) -> None:
        self._client = client
        self.notebook = client.nb

    def run(self, source: str) -> CellResult:
        """Add a cell with ``source`` and execute it."""
        self.notebook.cells.append(nbformat.v4.new_code_cell(source))
        return self.rerun(len(self.notebook.cells) - 1)

    def edit(self, index: int, source: str) -> None:
        """Change a cell's text without executing it."""
        self.notebook.cells[index].source = source

    def rerun(self, index: int, source: str | None = None) -> CellResult:
        """Execute cell ``index`` again (after replacing its text, if ``source`` is given)."""
        if source is not None:
            self.edit(index, source)
        cell = self.notebook.cells[index]
        self._client.execute_cell(cell, index)
        stdout, data, error = "", [], None
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stdout":
                stdout += output.text
            elif output.output_type in ("display_data", "execute_result", "update_display_data"):
                data.append(dict(output.data))
            elif output.output_type == "error":
                error = {"ename": output.ename, "evalue": output.evalue}
        return CellResult(stdout, data, error)


@contextmanager
def start_kernel(home: Path, cwd: Path, notebook: str | None = None) -> Iterator[Kernel]:
    """A fresh kernel over stepstone home ``home``, working in ``cwd``.

    ``notebook`` is the notebook file the kernel serves (Jupyter's server passes it as
    ``JPY_SESSION_NAME``); None leaves the kernel anonymous, as a plain client does.
    """
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([SRC, str(cwd)]),
            "STEPSTONE_HOME": str(home),
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
    )
    env.pop("JPY_SESSION_NAME", None)
    if notebook is not None:
        env["JPY_SESSION_NAME"] = str(cwd / notebook)
    client = NotebookClient(
        nbformat.v4.new_notebook(),
        kernel_name="python3",
        timeout=120,
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    with client.setup_kernel(env=env):
        yield Kernel(client)
