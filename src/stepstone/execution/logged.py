"""``log_metadata``: attach key -> value facts to runs, step runs and artifact versions.

Inside a running step the values are collected in the step's context
(:mod:`stepstone.execution.context`) and travel back to the driver with the step's result;
the driver records them with the step run, in the same transaction. Outside a step they are
written to the metadata store at once. Either way a value is checked when it is logged
(:mod:`stepstone.metadata.values`), so a value that cannot be stored fails where it was given.

What each call attaches to, as ZenML documents it:

* no target, inside a step: the step run (its run shows it as ``"<step name>::<key>"``);
* ``infer_artifact=True`` (optionally ``artifact_name=`` an output): the step's output;
* ``artifact_version_id=``: that artifact version; outside a step, ``artifact_name=`` (with
  ``artifact_version=``, else the latest) names one too;
* ``step_name=`` with ``run_id_name_or_prefix=`` (or ``step_id=``): that step run;
* ``run_id_name_or_prefix=`` alone: that run;
* ``infer_model=True`` inside a step: the model version the step works on (its ``model=``, else
  the pipeline's); ``model_name=`` (with ``model_version=``: a name, number or stage, else the
  latest) outside a step: that model version.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import (
    ArtifactNotFoundError,
    ArtifactVersionNotFoundError,
    MetadataTargetError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    StepContextError,
    StepNotFoundError,
    StepRunNotFoundError,
)
from stepstone.execution.context import (
    Collected,
    MetadataTarget,
    StepContext,
    current_step_context,
)
from stepstone.metadata.records import MetadataEntry, MetadataResource
from stepstone.metadata.values import normalize_metadata
from stepstone.models import find_run

if TYPE_CHECKING:
    from stepstone.metadata import MetadataStore


def log_metadata(
    metadata: Mapping[str, Any],
    *,
    step_id: str | None = None,
    step_name: str | None = None,
    run_id_name_or_prefix: str | None = None,
    artifact_version_id: str | None = None,
    artifact_name: str | None = None,
    artifact_version: str | int | None = None,
    infer_artifact: bool = False,
    model_name: str | None = None,
    model_version: str | int | None = None,
    infer_model: bool = False,
) -> None:
    """Attach ``metadata`` to a run, step run or artifact version (see the module docs).

    Raises:
        MetadataValueError: a value that cannot be stored (the message names its key).
        MetadataTargetError: targets that contradict each other, or a model inside a step
            that has none.
        StepContextError: ``infer_artifact`` outside a running step.
        NotFoundError: a run, step run or artifact version that is not recorded.
    """
    context = current_step_context()
    if infer_model or model_name is not None or model_version is not None:
        _log_on_model(context, metadata, infer_model, model_name, model_version)
        return
    if artifact_version is not None and (context is not None or artifact_name is None):
        raise MetadataTargetError(
            f"log_metadata: artifact_version={artifact_version!r} names a recorded version of "
            "artifact_name=, outside a step (inside one, artifact_name= names one of the "
            "step's outputs). Call it after the run, or pass artifact_version_id=."
        )
    where = f"Step '{context.step_name}'" if context else "log_metadata"
    values = normalize_metadata(metadata, where)
    if step_name is not None and run_id_name_or_prefix is None and step_id is None:
        raise MetadataTargetError(
            f"log_metadata: step_name={step_name!r} needs the run it belongs to: pass "
            "run_id_name_or_prefix= as well (or the step run's id as step_id=)."
        )
    if context is not None:
        _collect(
            context,
            values,
            step_id,
            step_name,
            run_id_name_or_prefix,
            artifact_version_id,
            artifact_name,
            infer_artifact,
        )
        return
    if infer_artifact:
        raise StepContextError(
            "log_metadata(infer_artifact=True) was called outside a running step, where there "
            "is no output to infer. Pass artifact_name= (and artifact_version=) or "
            "artifact_version_id= instead."
        )
    from stepstone.stores import get_stores

    if artifact_name is not None:
        artifact_version_id = _version_id(get_stores().metadata, artifact_name, artifact_version)

    targets = Collected()
    _route(targets, values, step_id, step_name, run_id_name_or_prefix, artifact_version_id)
    if not targets:
        raise MetadataTargetError(
            "log_metadata was called outside a running step without a target. Pass "
            "run_id_name_or_prefix= (a run), with step_name= (a step run), step_id=, or "
            "artifact_version_id=."
        )
    store = get_stores().metadata
    store.log_metadata(resolve_targets(store, targets))


def _log_on_model(
    context: StepContext | None,
    metadata: Mapping[str, Any],
    infer_model: bool,
    model_name: str | None,
    model_version: str | int | None,
) -> None:
    """``log_metadata`` on a model version: the step's own inside a step, a named one outside."""
    if context is not None:
        model = context.model
        if model is None:
            raise MetadataTargetError(
                f"Step '{context.step_name}': log_metadata(infer_model=True) needs a model to "
                "log to: give the pipeline (or the step) model=Model(name=...)."
            )
        if (model_name is not None and model_name != model.name) or model_version is not None:
            raise MetadataTargetError(
                f"Step '{context.step_name}' works on model '{model.name}' version "
                f"{model.version}; inside a step, log to it with infer_model=True. Log to "
                "another model version after the run, with model_name= and model_version=."
            )
        values = normalize_metadata(metadata, f"Step '{context.step_name}'")
        context.collected.model_metadata.update(values)
        return
    if model_name is None:
        raise StepContextError(
            "log_metadata(infer_model=True) was called outside a running step, where there is "
            "no model to infer. Pass model_name= (and model_version=) instead."
        )
    from stepstone.stores import get_stores

    values = normalize_metadata(metadata, "log_metadata")
    store = get_stores().metadata
    ref = "latest" if model_version is None else str(getattr(model_version, "value", model_version))
    found = store.get_model_version(model_name, ref)
    if found is None:
        if store.get_model(model_name) is None:
            raise ModelNotFoundError(model_name, [m.name for m in store.list_models()])
        known = [v.name for v in store.list_model_versions(model_name)]
        raise ModelVersionNotFoundError(model_name, ref, known)
    store.log_metadata(_entries(MetadataResource.MODEL_VERSION, found.id, values))


def _version_id(metadata: MetadataStore, name: str, version: str | int | None) -> str:
    """The artifact id of version ``version`` of ``name`` (the latest when None)."""
    wanted = None if version is None else str(version)
    found = metadata.get_artifact_version(name, wanted)
    if found is None:
        close = difflib.get_close_matches(name, metadata.artifact_names(), n=1)
        raise ArtifactVersionNotFoundError(name, wanted, close)
    return found.artifact_id


def _route(
    targets: Collected,
    values: dict[str, Any],
    step_id: str | None,
    step_name: str | None,
    run: str | None,
    artifact_version_id: str | None,
) -> None:
    """Put ``values`` where the explicit target arguments say."""
    if artifact_version_id is not None:
        targets.artifact_metadata.setdefault(artifact_version_id, {}).update(values)
    elif step_id is not None:
        targets.step_run_metadata.setdefault(MetadataTarget("", step_id), {}).update(values)
    elif step_name is not None and run is not None:
        targets.step_run_metadata.setdefault(MetadataTarget(run, step_name), {}).update(values)
    elif run is not None:
        targets.step_run_metadata.setdefault(MetadataTarget(run, ""), {}).update(values)


def _collect(
    context: StepContext,
    values: dict[str, Any],
    step_id: str | None,
    step_name: str | None,
    run: str | None,
    artifact_version_id: str | None,
    artifact_name: str | None,
    infer_artifact: bool,
) -> None:
    collected = context.collected
    if infer_artifact or artifact_name is not None:
        context.add_output_metadata(values, output_name=artifact_name)
    elif any(target is not None for target in (step_id, step_name, run, artifact_version_id)):
        _route(collected, values, step_id, step_name, run, artifact_version_id)
    else:
        collected.step_metadata.update(values)


def resolve_targets(metadata: MetadataStore, collected: Collected) -> list[MetadataEntry]:
    """Entries for the explicitly targeted resources of ``collected``, checked to exist.

    A :class:`MetadataTarget` with no step name is the run itself; with no run, its
    ``step_name`` is a step run id.
    """
    entries: list[MetadataEntry] = []
    for artifact_id, values in collected.artifact_metadata.items():
        if metadata.get_artifact(artifact_id) is None:
            raise ArtifactNotFoundError(
                artifact_id,
                f"log_metadata: no artifact version has id '{artifact_id}'. List them with "
                "'stepstone artifacts list'.",
            )
        entries += _entries(MetadataResource.ARTIFACT_VERSION, artifact_id, values)
    for target, values in collected.step_run_metadata.items():
        if not target.run:
            if metadata.get_step_run(target.step_name) is None:
                raise StepRunNotFoundError(target.step_name)
            entries += _entries(MetadataResource.STEP_RUN, target.step_name, values)
            continue
        run = find_run(metadata, target.run)
        if not target.step_name:
            entries += _entries(MetadataResource.PIPELINE_RUN, run.id, values)
            continue
        steps = {record.name: record.id for record in metadata.get_step_runs(run.id)}
        if target.step_name not in steps:
            raise StepNotFoundError(target.step_name, run.name, list(steps))
        entries += _entries(MetadataResource.STEP_RUN, steps[target.step_name], values)
    return entries


def _entries(
    resource_type: MetadataResource, resource_id: str, values: Mapping[str, Any]
) -> list[MetadataEntry]:
    return [MetadataEntry(resource_type, resource_id, k, v) for k, v in values.items()]


def step_entries(
    collected: Collected, step_run_id: str, output_ids: Mapping[str, str]
) -> list[MetadataEntry]:
    """Entries for what a step logged on itself and its outputs.

    Its run shows the step's keys as ``"<step>::<key>"`` by reading them from the step run
    (see ``PipelineRun.run_metadata``), so they are stored once.
    """
    entries = _entries(MetadataResource.STEP_RUN, step_run_id, collected.step_metadata)
    for output, values in collected.output_metadata.items():
        entries += _entries(MetadataResource.ARTIFACT_VERSION, output_ids[output], values)
    return entries
