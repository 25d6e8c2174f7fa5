"""Reading back what was recorded: runs, their steps and their artifacts.

>>> from stepstone import Client
>>> client = Client()                                  # doctest: +SKIP
>>> run = client.last_run("mnist_pipeline")            # doctest: +SKIP
>>> run.steps["trainer"].output.load()                 # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from stepstone.config import Settings, load_settings
from stepstone.exceptions import RunNotFoundError
from stepstone.metadata.records import PipelineRunRecord
from stepstone.models import PipelineRun, StepRun
from stepstone.stores import Stores, get_stores


class Client:
    """Read access to the stores of a stepstone home.

    Args:
        home: a stepstone home directory (holding ``config.toml``); default: the home this
            process resolves (``STEPSTONE_HOME``, a ``.stepstone/`` above the working
            directory, or the per-user directory).
    """

    def __init__(self, home: str | Path | None = None, *, settings: Settings | None = None) -> None:
        if settings is None and home is not None:
            import os

            previous = os.environ.get("STEPSTONE_HOME")
            os.environ["STEPSTONE_HOME"] = str(home)
            try:
                settings = load_settings()
            finally:
                if previous is None:
                    del os.environ["STEPSTONE_HOME"]
                else:
                    os.environ["STEPSTONE_HOME"] = previous
        self.stores: Stores = get_stores(settings)

    @property
    def settings(self) -> Settings:
        return self.stores.settings

    def _wrap(self, record: PipelineRunRecord) -> PipelineRun:
        return PipelineRun(record, self.stores)

    def list_runs(
        self,
        pipeline_name: str | None = None,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PipelineRun]:
        """Recorded runs, newest first."""
        records = self.stores.metadata.list_runs(
            pipeline_name, status=status, limit=limit, offset=offset
        )
        return [self._wrap(record) for record in records]

    def count_runs(self, pipeline_name: str | None = None, *, status: str | None = None) -> int:
        return self.stores.metadata.count_runs(pipeline_name, status=status)

    def get_run(self, id_or_name: str) -> PipelineRun:
        """A run by id, unique id prefix, name, or ``latest``.

        Raises:
            RunNotFoundError: nothing matches, or a prefix matches several runs.
        """
        metadata = self.stores.metadata
        if id_or_name == "latest":
            runs = metadata.list_runs(limit=1)
            if not runs:
                raise RunNotFoundError("latest", [])
            return self._wrap(runs[0])
        exact = metadata.get_run(id_or_name)
        if exact is not None:
            return self._wrap(exact)
        matches = metadata.find_runs(id_or_name, limit=10)
        by_name = [record for record in matches if record.name == id_or_name]
        if by_name:
            return self._wrap(by_name[0])
        if len(matches) == 1:
            return self._wrap(matches[0])
        if len(matches) > 1:
            raise RunNotFoundError(id_or_name, [m.id for m in matches[:5]])
        import difflib

        suggestions = difflib.get_close_matches(id_or_name, metadata.run_names(), n=3)
        raise RunNotFoundError(id_or_name, suggestions)

    def last_run(self, pipeline_name: str) -> PipelineRun:
        """The most recent run of a pipeline."""
        runs = self.stores.metadata.list_runs(pipeline_name, limit=1)
        if not runs:
            raise RunNotFoundError(f"the latest run of pipeline '{pipeline_name}'", [])
        return self._wrap(runs[0])

    def get_step_run(self, step_run_id: str) -> StepRun:
        """A step run by id."""
        record = self.stores.metadata.get_step_run(step_run_id)
        if record is None:
            raise RunNotFoundError(step_run_id, [])
        return StepRun(record, self.stores)
