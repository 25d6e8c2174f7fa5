"""Packaged examples: list them, copy one into a folder to edit, or run it in place.

Each example is a folder in this package with a ``run.py`` (whose ``main()`` runs it) and a
``README.md`` for a new user; an example may ship a notebook too (``caching.ipynb``), pulled
with the rest. The registry below is the single list the CLI shows
(``stepstone example list``); an example missing from it is not offered, so a half-written
one cannot leak into a release.

An example's ``run.py`` is self-contained on purpose: a pulled copy must run as
``python run.py`` from any folder, without importing anything from its packaged original,
so that editing the copy really changes what runs.

>>> [example.name for example in list_examples()]
['caching']
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepstone.exceptions import ExampleError, ExampleExistsError, ExampleNotFoundError

__all__ = [
    "Example",
    "ExampleError",
    "ExampleExistsError",
    "ExampleNotFoundError",
    "get_example",
    "list_examples",
    "pull_example",
    "run_example",
]

_HERE = Path(__file__).resolve().parent

# Only what a user edits is pulled: the package marker and bytecode stay behind.
_PULLED_SUFFIXES = (".py", ".md", ".ipynb")
_NOT_PULLED = frozenset({"__init__.py"})


@dataclass(frozen=True, slots=True)
class Example:
    """One packaged example.

    Attributes:
        name: what ``stepstone example pull NAME`` takes.
        description: one line for ``stepstone example list``.
        path: the packaged folder (read it, do not edit it: pull a copy instead).
        requires: importable modules the example needs beyond stepstone's own dependencies.
        legacy: the sub-folder holding the example written in the class-based API of ZenML
            before 0.40 (``--legacy``): its files replace the modern ones of the same name.
    """

    name: str
    description: str
    path: Path
    requires: tuple[str, ...] = ()
    legacy: str | None = None

    def module_for(self, legacy: bool = False) -> str:
        """The module whose ``main()`` runs the example (or its class-based variant)."""
        folder = f".{self._legacy_folder()}" if legacy else ""
        return f"{__name__}.{self.name}{folder}.run"

    @property
    def module(self) -> str:
        """The module whose ``main()`` runs the example."""
        return self.module_for()

    def _legacy_folder(self) -> str:
        if self.legacy is None:
            raise ExampleError(
                f"Example '{self.name}' has no class-based (--legacy) variant; leave out --legacy."
            )
        return self.legacy

    def files(self, legacy: bool = False) -> list[Path]:
        """The files a pull copies, sorted by name: with ``legacy``, the class-based
        variant's files in place of the modern ones of the same name, and no notebook (the
        notebooks are written in the modern API, which the legacy copy is there to contrast)."""
        chosen = {path.name: path for path in _pulled(self.path)}
        if legacy:
            chosen = {name: path for name, path in chosen.items() if path.suffix != ".ipynb"}
            chosen.update((path.name, path) for path in _pulled(self.path / self._legacy_folder()))
        return sorted(chosen.values(), key=lambda path: path.name)


def _pulled(folder: Path) -> list[Path]:
    return [
        path
        for path in folder.iterdir()
        if path.is_file() and path.suffix in _PULLED_SUFFIXES and path.name not in _NOT_PULLED
    ]


_REGISTRY: tuple[Example, ...] = (
    Example(
        name="caching",
        description=(
            "Train a digits classifier three times (scikit-learn, Keras or PyTorch; bundled "
            "digits, MNIST or your IDX files); see which steps rerun and which come from "
            "the cache."
        ),
        path=_HERE / "caching",
        legacy="legacy",
    ),
)


def list_examples() -> list[Example]:
    """Every packaged example, in the order ``stepstone example list`` shows them."""
    return list(_REGISTRY)


def get_example(name: str) -> Example:
    """The example called ``name``.

    Raises:
        ExampleNotFoundError: no example has that name (the message suggests a close one).
    """
    for example in _REGISTRY:
        if example.name == name:
            return example
    raise ExampleNotFoundError(name, [example.name for example in _REGISTRY])


def pull_example(
    name: str, dest: str | Path, *, force: bool = False, legacy: bool = False
) -> list[Path]:
    """Copy an example's files into ``dest`` (created if missing) and return the new paths.

    Nothing is copied if any target file exists and ``force`` is false, so a pull never
    leaves a folder half old, half new. ``legacy`` copies the variant written in the
    class-based API of ZenML before 0.40, where the example has one.

    Raises:
        ExampleNotFoundError: unknown ``name``.
        ExampleExistsError: a target file exists and ``force`` is false.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     sorted(p.name for p in pull_example("caching", folder))
        ['README.md', 'caching.ipynb', 'data.py', 'frameworks.py', 'idx.py', 'run.py']
    """
    example = get_example(name)
    dest = Path(dest)
    sources = example.files(legacy)
    targets = [dest / source.name for source in sources]
    if not force:
        existing = [target for target in targets if target.exists()]
        if existing:
            raise ExampleExistsError(existing)
    dest.mkdir(parents=True, exist_ok=True)
    for source, target in zip(sources, targets, strict=True):
        # copyfile, not copy2: an installed package may be read-only, its copy must not be.
        shutil.copyfile(source, target)
    return targets


def _check_requirements(example: Example) -> None:
    missing = [module for module in example.requires if importlib.util.find_spec(module) is None]
    if missing:
        raise ExampleError(
            f"Example '{example.name}' needs {', '.join(missing)}, which is not installed. "
            "Install the examples' extras: pip install 'stepstone[examples]'."
        )


def run_example(name: str, *, legacy: bool = False, **options: Any) -> Any:
    """Run a packaged example in this process and return what its ``main(**options)`` returns.

    ``options`` are the example's own (the caching example takes ``framework`` and ``data``);
    the example checks the packages each needs and names the integration to install.
    ``legacy`` runs its class-based variant instead (which takes no options).

    Raises:
        ExampleNotFoundError: unknown ``name``.
        ExampleError: a library the example needs is not installed.
    """
    example = get_example(name)
    _check_requirements(example)
    module = importlib.import_module(example.module_for(legacy))
    return module.main(**options)
