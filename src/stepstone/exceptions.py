"""Every error stepstone raises, in one tree.

::

    StepstoneError
    ├── UserError                    you asked for something wrong or absent; exit 2 in the CLI
    │   ├── DefinitionError          bad @step / @pipeline wiring, found before anything runs
    │   │   ├── StepDefinitionError          .definition_name
    │   │   ├── PipelineDefinitionError      .pipeline_name
    │   │   ├── MaterializerRegistrationError  not a materializer or a type (also TypeError)
    │   │   └── UndefinedNameError           .function .name: a cell's code names what the
    │   │                                    kernel does not hold (also NameError)
    │   ├── ConfigError              an unreadable config file or a bad setting
    │   │   └── RunConfigError           .path .key: a YAML run configuration that cannot be used
    │   ├── InvalidBooleanError      .value: not an on/off word (also ValueError)
    │   ├── UsageError               a command line that cannot work as typed
    │   │   └── ColumnNotFoundError          .name: no runs-table column of that name
    │   │   └── ParameterValueError          .parameter .value .expected: a -p value of another type
    │   ├── MissingIntegrationError  .pipeline_name .integrations: required ones not installed
    │   ├── StepContextError         a step-only API called outside a running step
    │   ├── MetadataValueError       a metadata value that cannot be stored (also TypeError)
    │   ├── MetadataTargetError      log_metadata told to log to nothing it can find or hold
    │   ├── MaintenanceError         a housekeeping request refused as asked
    │   │   └── InvalidDurationError         "3 weeks" instead of "21d" (also ValueError)
    │   ├── NotFoundError            no record matches what was asked for (also LookupError)
    │   │   ├── RunNotFoundError             .query .suggestions
    │   │   │   └── AmbiguousRunError            .matches: a prefix or name matching several runs
    │   │   ├── PipelineNotFoundError        .name .suggestions: no run of that pipeline
    │   │   ├── StepNotFoundError            .invocation_name .run_name .suggestions
    │   │   ├── StepRunNotFoundError         .step_run_id
    │   │   ├── ArtifactNotFoundError        .query: no artifact record matches an id or prefix
    │   │   ├── ArtifactVersionNotFoundError .name .version .suggestions: no such named version
    │   │   ├── ModelNotFoundError           .name .suggestions: no model of that name
    │   │   ├── ModelVersionNotFoundError    .model .version .known: no such version or stage
    │   │   └── ExampleNotFoundError         .name .known (also an ExampleError)
    │   ├── ArtifactVersionExistsError   .name .version: a version given twice for one name
    │   ├── ModelStageError          a stage that does not exist, or one held without force
    │   └── ExampleExistsError       pulling an example would overwrite files (also ExampleError)
    ├── StepExecutionError           .invocation_name .definition_name .run_id; __cause__ the step's
    │   └── StepOutputError          the step returned what its outputs do not declare
    ├── CacheError
    │   └── UnhashableParameterError .invocation_name .parameter
    ├── StorageError
    │   ├── ArtifactStoreError
    │   │   ├── ArtifactIntegrityError   .uri .file: stored bytes are unusable, recompute them
    │   │   │   ├── ArtifactMissingError     the bytes are not there at all
    │   │   │   └── DamagedFileError         a file failed its hash before parsing (also ValueError)
    │   │   └── ArtifactStoreFullError   no space (or quota, or file size) left under the root
    │   ├── MaterializerError        no materializer, or one that failed to save/load
    │   │   └── UnsupportedValueError    a value holds what a format cannot store (also TypeError)
    │   ├── MetadataStoreError
    │   │   └── InvalidRecordError   a record a store refuses to write (also ValueError)
    │   └── RemoteError              a cache remote that cannot be reached or read
    │       └── RemoteEntryError         an entry refused: unsigned, tampered, pickled
    ├── ExecutorError                an executor that cannot be chosen, started or reached
    ├── CodeMismatchError            .invocation_name .objects: a worker's code is not the driver's
    └── ExampleError                 an example cannot be found, copied or run

Two questions have two different answers here. "Is this cached output usable?" is
:class:`ArtifactIntegrityError` (recompute it); "is there a record like that?" is
:class:`NotFoundError` (the user's query names nothing). A handler for one never catches
the other, so a typo is never "recomputed" and a damaged file never reads as a typo.

Classes that also derive from a builtin (``TypeError``, ``ValueError``, ``LookupError``,
``FileExistsError``) do so for callers that caught the builtin before the class existed.

Messages say what failed, the offending value, and how to fix it. Errors that concern
a step carry its name as a structured field so tools need not parse the text.

Warnings that stepstone emits derive from :class:`StepstoneWarning`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class StepstoneError(Exception):
    """Base of every error raised by stepstone."""


class UserError(StepstoneError):
    """The request cannot work as asked: nothing ran, and only the user's edit can fix it.

    The command line exits with status 2 for these (the status Click uses for a bad option)
    and 1 for every other :class:`StepstoneError`.
    """


class DefinitionError(UserError):
    """A step or pipeline is wired wrongly; raised at decoration or tracing time."""


class StepDefinitionError(DefinitionError):
    """A ``@step`` is defined or called wrongly; ``definition_name`` is the ``@step``'s name."""

    def __init__(self, definition_name: str, message: str) -> None:
        super().__init__(f"Step '{definition_name}': {message}")
        self.definition_name = definition_name


class PipelineDefinitionError(DefinitionError):
    """A ``@pipeline`` wires its steps wrongly (cycles, bad unpacking, unknown steps)."""

    def __init__(self, pipeline_name: str, message: str) -> None:
        super().__init__(f"Pipeline '{pipeline_name}': {message}")
        self.pipeline_name = pipeline_name


class MaterializerRegistrationError(DefinitionError, TypeError):
    """``register_materializer``/``resolve_materializer`` got something of the wrong kind."""


class UndefinedNameError(DefinitionError, NameError):
    """Code typed into a notebook cell uses a name the kernel does not hold.

    Its cell was never run, or the name was deleted (``del``): found while fingerprinting,
    before anything runs, instead of as a bare ``NameError`` in the middle of a run.
    """

    def __init__(self, function: str, name: str) -> None:
        short = function.split(".", 1)[-1]
        super().__init__(
            f"`{short}` (defined in a notebook cell) uses `{name}`, which is not defined in "
            f"the kernel: run the cell that defines `{name}` (or define it again if it was "
            f"deleted), then run the pipeline again."
        )
        self.function = function
        self.name = name


class ConfigError(UserError):
    """The configuration file or a ``STEPSTONE_*`` variable holds a value that cannot be used."""


class RunConfigError(ConfigError):
    """A YAML run configuration names an unknown key or step, or holds a wrong value.

    Attributes:
        path: the file (``None`` for a configuration given as a dictionary).
        key: where in the file, dotted (``steps.trainer.parameters``).
    """

    def __init__(self, path: str | Path | None, key: str, message: str) -> None:
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{key}: {message}" if key else f"{where}{message}")
        self.path = path
        self.key = key


class InvalidBooleanError(UserError, ValueError):
    """A value meant as on/off is none of the words :data:`stepstone.config.BOOLEAN_WORDS` knows.

    Attributes:
        value: the value as given.
        expected: the accepted words, for a caller re-wording the error with its own context.
    """

    expected = "on or off (also 1/0, true/false, yes/no)"

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"{value!r} is not on or off: use {self.expected}.")


class UsageError(UserError):
    """A command line that cannot work as typed: the message says what to type instead.

    For mistakes only the command line can make (a malformed ``-p`` value, an export path
    in the way); library errors keep their own types and wording.
    """


class ParameterValueError(UsageError, ValueError):
    """A ``-p NAME=VALUE`` value that does not convert to the parameter's annotated type.

    Attributes:
        parameter: the parameter's name.
        value: the text as typed.
        expected: the annotation, as written (``int``, ``list[int] | None``).
        reason: what the conversion said was wrong (``""`` if nothing more).
        pipeline_name: the pipeline the parameter belongs to, if known.
    """

    def __init__(
        self,
        parameter: str,
        value: str,
        expected: str,
        reason: str = "",
        *,
        pipeline_name: str | None = None,
    ) -> None:
        self.parameter = parameter
        self.value = value
        self.expected = expected
        self.reason = reason
        self.pipeline_name = pipeline_name
        owner = f" of pipeline '{pipeline_name}'" if pipeline_name else ""
        because = f": {reason.rstrip('.')}" if reason else ""
        super().__init__(
            f"Parameter '{parameter}'{owner} expects {expected}, not {value!r}{because}."
        )


class MissingIntegrationError(UserError):
    """A pipeline's ``required_integrations`` are not installed; nothing ran.

    Attributes:
        pipeline_name: the pipeline that requires them.
        integrations: the names of the missing ones.
    """

    def __init__(self, pipeline_name: str, integrations: Iterable[str]) -> None:
        self.pipeline_name = pipeline_name
        self.integrations = tuple(integrations)
        listed = ", ".join(self.integrations)
        verb = "is" if len(self.integrations) == 1 else "are"
        super().__init__(
            f"Pipeline '{pipeline_name}' requires the integration(s) {listed}, which {verb} "
            f"not installed. Install with: stepstone integration install "
            f"{' '.join(self.integrations)}"
        )


class ColumnNotFoundError(UsageError, LookupError):
    """``--columns``, ``--sort`` or a chart named a column the listed runs do not have."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        listed = ", ".join(known) if known else "none"
        super().__init__(
            f"No column '{name}' in these runs.{did_you_mean(name, known)} Columns: {listed}."
        )
        self.name = name
        self.known = known


class StepContextError(UserError):
    """``get_step_context()``, ``log_metadata()`` and kin were called where no step runs.

    Step context exists only while a step function executes inside a pipeline run (and the
    pipeline context only while a pipeline function is traced).
    """


class MetadataValueError(UserError, TypeError):
    """A value given to ``log_metadata`` (or an output's metadata) that cannot be stored."""


class MetadataTargetError(UserError, ValueError):
    """``log_metadata`` was given a combination of targets that names nothing it can log to."""


class MaintenanceError(UserError):
    """A housekeeping request that cannot be carried out as asked (the message says why)."""


class InvalidDurationError(MaintenanceError, ValueError):
    """A duration such as ``--older-than`` is not a number followed by a unit."""


class NotFoundError(UserError, LookupError):
    """No record matches what was asked for (a run, a step, a step run, an artifact)."""


class RunNotFoundError(NotFoundError):
    """No recorded run matches an id, id prefix or name."""

    def __init__(
        self, query: str, suggestions: Iterable[str] = (), *, message: str | None = None
    ) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        if message is None:
            message = f"No run matches '{query}'."
            if self.suggestions:
                listed = " or ".join(f"'{s}'" for s in self.suggestions)
                message += f" Did you mean {listed}?"
            else:
                message += " List recorded runs with 'stepstone runs list'."
        super().__init__(message)


class AmbiguousRunError(RunNotFoundError):
    """An id prefix (or a name) matches several runs: the message lists them.

    A subclass of :class:`RunNotFoundError`, so code catching "no such run" still catches it,
    but the message says the run exists several times over rather than not at all.
    """

    def __init__(self, query: str, matches: Iterable[str], *, more: bool = False) -> None:
        self.matches = list(matches)
        listed = "\n".join(f"  {match}" for match in self.matches)
        tail = "\n  …" if more else ""
        super().__init__(
            query,
            message=(
                f"'{query}' is ambiguous: it matches {len(self.matches)}{'+' if more else ''} "
                f"runs. Give more characters of the id, or the run's name:\n{listed}{tail}"
            ),
        )


class PipelineNotFoundError(NotFoundError):
    """No run of a pipeline of that name is recorded (a pipeline exists through its runs)."""

    def __init__(self, name: str, known: Iterable[str] = (), detail: str = "") -> None:
        self.name = name
        self.suggestions = difflib.get_close_matches(name, list(known), n=3)
        message = f"No run of pipeline '{name}' is recorded{detail}."
        if self.suggestions:
            message += " Did you mean " + " or ".join(f"'{s}'" for s in self.suggestions) + "?"
        else:
            message += " Run it first, or list recorded runs with 'stepstone runs list'."
        super().__init__(message)


class StepNotFoundError(NotFoundError):
    """A run has no step of the given invocation name; ``.suggestions`` holds the one offered."""

    def __init__(self, invocation_name: str, run_name: str, known: Iterable[str] = ()) -> None:
        known = list(known)
        self.invocation_name = invocation_name
        self.run_name = run_name
        self.suggestions = difflib.get_close_matches(invocation_name, known, n=1)
        if self.suggestions:
            hint = f" Did you mean '{self.suggestions[0]}'?"
        else:
            hint = f" Its steps: {', '.join(known) or 'none'}."
        super().__init__(f"Run {run_name} has no step '{invocation_name}'.{hint}")


class StepRunNotFoundError(NotFoundError):
    """No recorded step run has this id (its run may have been deleted)."""

    def __init__(self, step_run_id: str) -> None:
        self.step_run_id = step_run_id
        super().__init__(
            f"No step run has id '{step_run_id}'; its run may have been deleted. "
            "List a run's steps with 'stepstone runs show RUN'."
        )


class ArtifactNotFoundError(NotFoundError):
    """No artifact record matches an id or id prefix (``.query``)."""

    def __init__(self, query: str, message: str) -> None:
        super().__init__(message)
        self.query = query


class ArtifactVersionNotFoundError(NotFoundError):
    """No artifact version has this name (and version); ``.suggestions`` holds close ones."""

    def __init__(
        self, name: str, version: str | None, suggestions: Iterable[str] = (), hint: str = ""
    ) -> None:
        self.name = name
        self.version = version
        self.suggestions = list(suggestions)
        what = (
            f"artifact '{name}'" if version is None else f"version '{version}' of artifact '{name}'"
        )
        message = f"No {what} is recorded."
        if self.suggestions:
            message += " Did you mean " + " or ".join(f"'{s}'" for s in self.suggestions) + "?"
        message += hint or " List artifact versions with 'stepstone artifacts list --name NAME'."
        super().__init__(message)


class ModelNotFoundError(NotFoundError):
    """No model of this name is recorded (a model exists once a run worked on it)."""

    def __init__(self, name: str, known: Iterable[str] = ()) -> None:
        self.name = name
        self.suggestions = difflib.get_close_matches(name, list(known), n=3)
        message = f"No model '{name}' is recorded."
        if self.suggestions:
            message += " Did you mean " + " or ".join(f"'{s}'" for s in self.suggestions) + "?"
        else:
            message += (
                " A model is recorded by the first run of a pipeline with model=Model(name=...);"
                " list models with 'stepstone models list'."
            )
        super().__init__(message)


class ModelVersionNotFoundError(NotFoundError):
    """A model has no version of this name, number or stage (``.known``: its versions)."""

    def __init__(self, model: str, version: str | None, known: Iterable[str] = ()) -> None:
        self.model = model
        self.version = version
        self.known = list(known)
        shown = ", ".join(self.known[:10]) or "none yet"
        stage = (version or "").lower() in ("staging", "production", "archived", "latest")
        what = f"in stage '{version}'" if stage else f"'{version}'"
        hint = (
            " Promote one with model_version.set_stage(...) or 'stepstone models stage'."
            if stage
            else ""
        )
        super().__init__(
            f"Model '{model}' has no version {what}. Its versions, newest first: {shown}.{hint}"
        )


class ModelStageError(UserError):
    """A stage that does not exist, or one that another version holds (promote with force)."""


class ArtifactVersionExistsError(UserError):
    """A version given for an artifact name (``ArtifactConfig(version=)``, ``save_artifact``)
    is recorded already: versions of a name are unique."""

    def __init__(self, name: str, version: str, detail: str = "") -> None:
        self.name = name
        self.version = version
        super().__init__(
            f"Artifact '{name}' has a version '{version}' already{detail}. Give another "
            "version, or leave version out to number versions automatically."
        )


class ExampleError(StepstoneError):
    """An example cannot be found, copied or run."""


class ExampleNotFoundError(ExampleError, NotFoundError):
    """No packaged example has this name. ``.name`` is what was asked for."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(
            f"No example named '{name}'.{did_you_mean(name, known)} "
            f"Available examples: {', '.join(known)} (see 'stepstone example list')."
        )


class ExampleExistsError(ExampleError, UserError, FileExistsError):
    """Pulling an example would overwrite files; ``.paths`` lists them."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        shown = ", ".join(str(path) for path in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        super().__init__(
            f"Pulling would overwrite {shown}{more}. Choose another folder, or pass "
            "--force (force=True) to overwrite them."
        )


class StepExecutionError(StepstoneError):
    """A step failed while running. ``__cause__`` holds the exception the step raised.

    ``invocation_name`` is the step's name in the pipeline (``trainer_2``, what
    ``stepstone logs RUN STEP`` takes); ``definition_name`` its ``@step``'s (``trainer``),
    ``None`` where only the invocation is known.
    """

    def __init__(
        self,
        invocation_name: str,
        run_id: str | None,
        message: str,
        *,
        definition_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.invocation_name = invocation_name
        self.definition_name = definition_name
        self.run_id = run_id


class StepOutputError(StepExecutionError):
    """A step returned something that does not fit its declared outputs."""


class CacheError(StepstoneError):
    """A cache key could not be computed."""


class UnhashableParameterError(CacheError):
    """A parameter value has no canonical encoding, so it cannot be part of a cache key.

    ``parameter`` and ``invocation_name`` (the call in the pipeline whose literal it is) are
    ``""`` when the value was encoded on its own (:func:`stepstone.cache.encode_value`)
    rather than as a step's parameter.
    """

    def __init__(self, message: str, *, parameter: str = "", invocation_name: str = "") -> None:
        super().__init__(message)
        self.parameter = parameter
        self.invocation_name = invocation_name


class StorageError(StepstoneError):
    """Reading or writing a store failed."""


class ArtifactStoreError(StorageError):
    """The artifact store failed to read or write."""


class ArtifactIntegrityError(ArtifactStoreError):
    """A stored artifact cannot be trusted: a file is missing or its bytes fail their hash.

    One class to catch for "this cached output is unusable, recompute it":
    :class:`ArtifactMissingError` (nothing stored at all) derives from it.
    ``uri`` is the artifact, ``file`` the damaged or missing file (``""`` if unknown).
    """

    def __init__(self, message: str, *, uri: str = "", file: str = "") -> None:
        super().__init__(message)
        self.uri = uri
        self.file = file


class DamagedFileError(ArtifactIntegrityError, ValueError):
    """A file failed verification before any materializer read it (``verify_first``).

    Raised by the verifying reader, which knows only the file; the store removes the damaged
    copy and re-raises it as an :class:`ArtifactIntegrityError` naming the artifact.
    """


class ArtifactMissingError(ArtifactIntegrityError):
    """An artifact's files are not in the artifact store (never written, or removed)."""


class MaterializerError(StorageError):
    """No materializer handles a type, or a materializer failed to save or load a value."""


class UnsupportedValueError(MaterializerError, TypeError):
    """A value holds something a materializer's format does not store (its ``can_save`` says no)."""


class MetadataStoreError(StorageError):
    """The metadata database failed or holds an unexpected schema."""


class InvalidRecordError(MetadataStoreError, ValueError):
    """A record handed to a metadata store contradicts itself, so nothing is written."""


class RemoteError(StorageError):
    """A cache remote cannot be reached or read."""


class RemoteEntryError(RemoteError):
    """A cache entry on a remote is unreadable or refused (unsigned, tampered, pickled)."""


class ExecutorError(StepstoneError):
    """An executor that cannot be chosen (a bad name), started, or reached (an address)."""


class CodeMismatchError(StepstoneError):
    """The code a worker would run is not the code the driver fingerprinted.

    Running it would store a result under a key that does not describe it, so the step fails
    instead. ``invocation_name`` is the step's call in the pipeline; ``objects`` names the
    functions, modules or libraries that differ.
    """

    def __init__(self, invocation_name: str, objects: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.invocation_name = invocation_name
        self.objects = objects

    def __reduce__(self) -> tuple[type[CodeMismatchError], tuple[str, tuple[str, ...], str]]:
        # It travels back from a worker: rebuild it with every field, not from args alone.
        return (type(self), (self.invocation_name, self.objects, str(self)))


class StepstoneWarning(UserWarning):
    """Base of every warning stepstone emits."""


class PickleFallbackWarning(StepstoneWarning):
    """A value was stored with pickle because no dedicated materializer handles its type."""


class CacheMissWarning(StepstoneWarning):
    """A cache entry existed but could not be used (its artifacts are missing or damaged)."""


class RemoteEntryWarning(StepstoneWarning):
    """A cache entry on a remote was ignored: unsigned, tampered, untrusted pickle, damaged."""


class RemoteUnreachableWarning(StepstoneWarning):
    """The read-through's cache remote cannot be reached: the run goes on with the local cache."""


class StepRetryWarning(StepstoneWarning):
    """A step is executed again after a transient failure (``@step(retries=)``)."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close.

    Close is spelled alike (``lates`` -> ``latest``) or, failing that, a candidate that starts
    with or contains the word: ``mnist`` -> ``mnist_pipeline`` is too far apart for a
    spelling match, yet it is what a user typing a short name means.
    """
    candidates = list(candidates)
    matches = difflib.get_close_matches(word, candidates, n=1)
    if not matches and word.strip():
        lowered = word.lower()
        matches = [c for c in candidates if c.lower().startswith(lowered)]
        matches = matches or [c for c in candidates if lowered in c.lower()]
    return f" Did you mean '{matches[0]}'?" if matches else ""


class ArtifactStoreFullError(ArtifactStoreError):
    """The artifact store's file system refused a write: no space left, over quota, or a
    file larger than the file system (or the process's file-size limit) allows."""
