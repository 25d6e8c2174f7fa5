"""``Model``: the model a pipeline or step works on, as ZenML's model control plane has it.

``@pipeline(model=Model(name="classifier"))`` (or ``@step(model=...)``, which wins for that
step) makes each run work on a version of the model ``classifier``:

* ``version=None``: a new version, numbered ``1``, ``2``, ... per model, created when the run
  starts (every run, cached or not: a version records a run of the pipeline);
* ``version="1.0.5"`` (a name): that version, created if it does not exist yet;
* ``version="production"`` (a :class:`~stepstone.enums.ModelStages` value) or ``version=3`` (a
  number): the version in that stage, or with that number; it must exist.

The outputs of the steps that work on a model are linked to its version: as model artifacts if
their ``ArtifactConfig`` says ``artifact_type=MODEL`` (or ``is_model_artifact=True``), else as
data artifacts. None of this is part of a step's cache key.

This module holds the definition only (it is pure, like the rest of ``steps``); the recorded
versions are :class:`stepstone.models.ModelVersion`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from stepstone.enums import ModelStages
from stepstone.exceptions import DefinitionError, did_you_mean

#: What a model's description fields are called (ZenML's), stored with the model.
DETAIL_FIELDS = (
    "description",
    "license",
    "audience",
    "use_cases",
    "limitations",
    "trade_offs",
    "ethics",
)

_OPTIONS = ("name", "version", "tags", *DETAIL_FIELDS)


@dataclasses.dataclass(frozen=True, slots=True, init=False)
class Model:
    """A model and the version a run works on (see the module docs).

    Args:
        name: the model's name.
        version: ``None`` (a new version per run), a version name, a stage, or a number.
        tags: tags of the model.
        description, license, audience, use_cases, limitations, trade_offs, ethics: what the
            model is, recorded with it (ZenML's model card fields).

    Inside a step, ``get_step_context().model`` is this model bound to the run's version:
    ``.version`` is then the version's name and ``.number`` / ``.id`` are set.

    Example:
        >>> from stepstone import Model
        >>> Model(name="classifier", version="production").version
        'production'
    """

    name: str
    version: str | None
    tags: tuple[str, ...]
    details: Mapping[str, str]
    number: int | None
    id: str | None

    def __init__(
        self,
        name: str | None = None,
        version: str | int | ModelStages | None = None,
        tags: Sequence[str] | None = None,
        **options: Any,
    ) -> None:
        unknown = sorted(set(options) - set(DETAIL_FIELDS) - {"number", "id"})
        if unknown:
            wrong = unknown[0]
            raise DefinitionError(
                f"Model has no option '{wrong}'.{did_you_mean(wrong, _OPTIONS)} "
                f"Its options: {', '.join(_OPTIONS)}."
            )
        if not isinstance(name, str) or not name.strip():
            raise DefinitionError(
                f"Model(name={name!r}): a model needs a name, e.g. Model(name='classifier')."
            )
        if version is not None and (
            isinstance(version, bool)
            or not isinstance(version, str | int)
            or (isinstance(version, int) and version < 1)
            or (isinstance(version, str) and (not version.strip() or len(version) > 64))
        ):
            raise DefinitionError(
                f"Model(version={version!r}): a version is a name (at most 64 characters), a "
                "number from 1, or a stage (ModelStages.PRODUCTION); leave it out for a new "
                "version per run."
            )
        if tags is not None and (
            isinstance(tags, str) or not all(isinstance(t, str) and t for t in tags)
        ):
            raise DefinitionError(f"Model(tags={tags!r}) takes a list of tags, e.g. ['fraud'].")
        details = {key: value for key, value in options.items() if key in DETAIL_FIELDS}
        for key, value in details.items():
            if value is not None and not isinstance(value, str):
                raise DefinitionError(f"Model({key}={value!r}) takes text.")
        object.__setattr__(self, "name", name)
        object.__setattr__(
            self, "version", None if version is None else str(getattr(version, "value", version))
        )
        object.__setattr__(self, "tags", tuple(dict.fromkeys(tags or ())))
        object.__setattr__(self, "details", {k: v for k, v in details.items() if v is not None})
        object.__setattr__(self, "number", options.get("number"))
        object.__setattr__(self, "id", options.get("id"))

    @property
    def stage(self) -> ModelStages | None:
        """The stage ``version`` names, if it names one (``latest`` included)."""
        try:
            return ModelStages(self.version) if self.version is not None else None
        except ValueError:
            return None

    def __getattr__(self, name: str) -> Any:
        if name in DETAIL_FIELDS:
            return self.details.get(name)
        raise AttributeError(
            f"'Model' object has no attribute '{name}'.{did_you_mean(name, _OPTIONS)}"
        )

    def bound(self, version: str, number: int, version_id: str) -> Model:
        """This model bound to a recorded version (what a running step sees)."""
        return Model(self.name, version, self.tags, **self.details, number=number, id=version_id)

    def record_details(self) -> dict[str, Any]:
        """What is recorded with the model: its tags and model card fields (given ones only)."""
        found: dict[str, Any] = dict(self.details)
        if self.tags:
            found["tags"] = list(self.tags)
        return found


def check_model(model: object, where: str) -> None:
    """Refuse a ``model=`` option that is not a :class:`Model` (a bare name, say)."""
    if model is not None and not isinstance(model, Model):
        hint = f" Write model=Model(name={model!r})." if isinstance(model, str) else ""
        raise DefinitionError(f"{where}: model= takes a stepstone Model, not {model!r}.{hint}")
