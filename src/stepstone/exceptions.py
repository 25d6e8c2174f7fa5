"""Every error stepstone raises, in one tree.

::

    StepstoneError
    ├── DefinitionError              bad @step / @pipeline wiring, found before anything runs
    │   ├── StepDefinitionError      .step_name
    │   └── PipelineDefinitionError  .pipeline_name
    ├── StepExecutionError           .step_name .run_id; __cause__ is the user's exception
    ├── CacheError
    │   └── UnhashableParameterError .step_name .parameter
    ├── StorageError
    │   ├── ArtifactStoreError
    │   │   └── ArtifactIntegrityError   .uri .file: bytes missing or not those hashed
    │   │       └── ArtifactNotFoundError
    │   ├── MaterializerError        no materializer, or one that failed to save/load
    │   ├── MetadataStoreError
    │   ├── RunNotFoundError         .query .suggestions
    │   └── StepNotFoundError        .step_name .run_name .suggestions
    ├── ConfigError                  an unreadable config file or a bad setting
    └── OrchestratorError

Messages say what failed, the offending value, and how to fix it. Errors that concern
a step carry its name as a structured field so tools need not parse the text.

Warnings that stepstone emits derive from :class:`StepstoneWarning`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class StepstoneError(Exception):
    """Base of every error raised by stepstone."""


class DefinitionError(StepstoneError):
    """A step or pipeline is wired wrongly; raised at decoration or tracing time."""


class StepDefinitionError(DefinitionError):
    """A ``@step`` is defined or called wrongly."""

    def __init__(self, step_name: str, message: str) -> None:
        super().__init__(f"Step '{step_name}': {message}")
        self.step_name = step_name


class PipelineDefinitionError(DefinitionError):
    """A ``@pipeline`` wires its steps wrongly (cycles, bad unpacking, unknown steps)."""

    def __init__(self, pipeline_name: str, message: str) -> None:
        super().__init__(f"Pipeline '{pipeline_name}': {message}")
        self.pipeline_name = pipeline_name


class StepExecutionError(StepstoneError):
    """A step failed while running. ``__cause__`` holds the exception the step raised."""

    def __init__(self, step_name: str, run_id: str | None, message: str) -> None:
        super().__init__(message)
        self.step_name = step_name
        self.run_id = run_id


class CacheError(StepstoneError):
    """A cache key could not be computed."""


class UnhashableParameterError(CacheError):
    """A parameter value has no canonical encoding, so it cannot be part of a cache key."""

    def __init__(self, message: str, *, parameter: str = "", step_name: str = "") -> None:
        super().__init__(message)
        self.parameter = parameter
        self.step_name = step_name


class StorageError(StepstoneError):
    """Reading or writing a store failed."""


class ArtifactStoreError(StorageError):
    """The artifact store failed to read or write."""


class ArtifactIntegrityError(ArtifactStoreError):
    """A stored artifact cannot be trusted: a file is missing or its bytes fail their hash.

    One class to catch for "this cached output is unusable, recompute it":
    :class:`ArtifactNotFoundError` (nothing stored at all) derives from it.
    ``uri`` is the artifact, ``file`` the damaged or missing file (``""`` if unknown).
    """

    def __init__(self, message: str, *, uri: str = "", file: str = "") -> None:
        super().__init__(message)
        self.uri = uri
        self.file = file


class ArtifactNotFoundError(ArtifactIntegrityError):
    """An artifact's files are not in the artifact store."""


class MaterializerError(StorageError):
    """No materializer handles a type, or a materializer failed to save or load a value."""


class MetadataStoreError(StorageError):
    """The metadata database failed or holds an unexpected schema."""


class RunNotFoundError(StorageError):
    """No recorded run matches an id, id prefix or name."""

    def __init__(self, query: str, suggestions: Iterable[str] = ()) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        message = f"No run matches '{query}'."
        if self.suggestions:
            message += " Did you mean " + " or ".join(f"'{s}'" for s in self.suggestions) + "?"
        else:
            message += " List recorded runs with 'stepstone runs list'."
        super().__init__(message)


class StepNotFoundError(StorageError):
    """A run has no step of the given name."""

    def __init__(self, step_name: str, run_name: str, known: Iterable[str] = ()) -> None:
        known = list(known)
        self.step_name = step_name
        self.run_name = run_name
        self.suggestions = difflib.get_close_matches(step_name, known, n=3)
        hint = did_you_mean(step_name, known) or f" Its steps: {', '.join(known) or 'none'}."
        super().__init__(f"Run {run_name} has no step '{step_name}'.{hint}")


class ConfigError(StepstoneError):
    """The configuration file or a ``STEPSTONE_*`` variable holds a value that cannot be used."""


class OrchestratorError(StepstoneError):
    """The run driver or an executor failed outside of user code."""


class StepstoneWarning(UserWarning):
    """Base of every warning stepstone emits."""


class PickleFallbackWarning(StepstoneWarning):
    """A value was stored with pickle because no dedicated materializer handles its type."""


class CacheMissWarning(StepstoneWarning):
    """A cache entry existed but could not be used (its artifacts are missing or damaged)."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return f" Did you mean '{matches[0]}'?" if matches else ""
