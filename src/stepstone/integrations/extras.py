"""The integrations: the package's extras, what each is for, and whether it is usable here.

The requirements come from one place, the ``[project.optional-dependencies]`` of
``pyproject.toml``: read from that file when stepstone runs from a source checkout (an
editable install records the extras of the day it was installed, the checkout says what the
code beside it needs), else from the installed distribution's ``Requires-Dist`` lines with an
``extra == "name"`` marker. ``examples`` and ``dev`` are extras but not integrations.

"Installed" means every module the integration's code imports can be found
(:func:`importlib.util.find_spec`, which never imports the library: torch takes seconds):
for a materializer, the modules its catalog entry names (:data:`LAZY_MATERIALIZERS`), so an
environment with torch but not safetensors is reported as missing safetensors.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from stepstone.artifacts.catalog import LAZY_MATERIALIZERS

NOT_INTEGRATIONS = frozenset({"examples", "dev"})
"""Extras that install tooling for this project rather than support for a library."""

_ABOUT: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (what it is for, modules imported besides those of its materializers)
    "sklearn": ("scikit-learn estimators and pipelines", ()),
    "torch": ("PyTorch tensors and modules", ()),
    "keras": ("Keras 3 models (add a backend: tensorflow or torch)", ()),
    "tensorflow": ("TensorFlow, as a Keras 3 backend", ("tensorflow",)),
    "pandas": ("pandas DataFrames as Parquet", ()),
    "polars": ("polars DataFrames as Parquet", ()),
    "pyarrow": ("Arrow tables as Parquet", ()),
    "dask": ("the dask executor: steps on a Dask cluster", ("dask", "distributed")),
    "s3": ("artifact store on S3 or an S3-compatible server", ("s3fs",)),
    "gcs": ("artifact store on Google Cloud Storage", ("gcsfs",)),
    "azure": ("artifact store on Azure Blob Storage", ("adlfs",)),
    "postgres": ("metadata store on PostgreSQL", ("psycopg",)),
    "mysql": ("metadata store on MySQL or MariaDB", ("pymysql",)),
    "dashboard": ("the web dashboard (stepstone dashboard)", ("fastapi", "uvicorn", "jinja2")),
    "yaml": ("YAML run configuration (with_options(config_path=...))", ("yaml",)),
}
"""What each integration is for; a test checks these names against the extras."""

_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


@dataclass(frozen=True, slots=True)
class Integration:
    """One extra: what it is for, what pip installs, and the modules that must be importable."""

    name: str
    description: str
    requirements: tuple[str, ...]
    modules: tuple[str, ...]

    def missing(self) -> tuple[str, ...]:
        """The modules that cannot be found in this environment."""
        return tuple(module for module in self.modules if not _findable(module))

    @property
    def installed(self) -> bool:
        return not self.missing()


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _checkout_pyproject() -> Path | None:
    """``pyproject.toml`` of the source tree this package is imported from, if any."""
    candidate = Path(__file__).resolve().parents[3] / "pyproject.toml"
    return candidate if candidate.is_file() else None


def _from_pyproject(path: Path) -> dict[str, tuple[str, ...]] | None:
    project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    if project.get("name") != "stepstone":
        return None
    extras = project.get("optional-dependencies", {})
    return {name: tuple(requirements) for name, requirements in extras.items()}


def _from_distribution() -> dict[str, tuple[str, ...]]:
    try:
        lines = importlib.metadata.requires("stepstone") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    extras: dict[str, list[str]] = {}
    for line in lines:
        requirement, _, marker = line.partition(";")
        match = _EXTRA_MARKER.search(marker)
        if match is not None:
            extras.setdefault(match.group(1), []).append(requirement.strip())
    return {name: tuple(requirements) for name, requirements in extras.items()}


@cache
def extras() -> dict[str, tuple[str, ...]]:
    """Every extra of the package and its requirement strings, in the order declared."""
    path = _checkout_pyproject()
    found = _from_pyproject(path) if path is not None else None
    return found if found is not None else _from_distribution()


def integrations() -> tuple[Integration, ...]:
    """Every integration, in the order the extras are declared."""
    materializer_imports: dict[str, list[str]] = {}
    for lazy in LAZY_MATERIALIZERS:
        materializer_imports.setdefault(lazy.integration, []).extend(lazy.imports)
    found = []
    for name, requirements in extras().items():
        if name in NOT_INTEGRATIONS:
            continue
        description, own_modules = _ABOUT.get(name, (f"the '{name}' extra", ()))
        modules = tuple(dict.fromkeys([*materializer_imports.get(name, ()), *own_modules]))
        found.append(Integration(name, description, requirements, modules))
    return tuple(found)
