"""``ArtifactConfig``: the name, version, tags and metadata of the artifact a step output becomes.

Every output of an executed step is recorded as an artifact version. Its name is, in order:
``ArtifactConfig(name=...)``, the string of ``Annotated[T, "name"]``, or ZenML's default
``<pipeline>::<step>::<output>``. Its version is the one given, or the name's next number
(``"1"``, ``"2"``, ...). Names may hold ZenML's placeholders ``{date}`` and ``{time}``, filled
with the run's start (``2026_12_02`` and ``16_05_32_123456``).

What is part of the cache key: the output's name (as every output name is). What is not, as in
ZenML: the version, tags, metadata and type; a cached step run creates no version (it reuses the
versions the run it reused created), so they apply the next time the step executes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stepstone.enums import ArtifactType
from stepstone.exceptions import DefinitionError, did_you_mean

_OPTIONS = (
    "name",
    "version",
    "tags",
    "run_metadata",
    "artifact_type",
    "is_model_artifact",
    "is_deployment_artifact",
)

#: ZenML's placeholders in artifact and run names; filled with the run's start time.
PLACEHOLDERS = ("date", "time")


def placeholder_values(when: datetime) -> dict[str, str]:
    """The values of ZenML's placeholders at ``when``: ``2026_12_02`` and ``16_05_32_123456``."""
    return {"date": f"{when:%Y_%m_%d}", "time": f"{when:%H_%M_%S_%f}"}


def fill_placeholders(name: str, when: datetime) -> str:
    """``name`` with ``{date}`` and ``{time}`` filled in (other braces left as they are)."""
    if "{" not in name:
        return name
    for placeholder, value in placeholder_values(when).items():
        name = name.replace(f"{{{placeholder}}}", value)
    return name


class ArtifactConfig:
    """How a step output is recorded as an artifact version.

    Args:
        name: the artifact's name (default: the output's ``Annotated`` name, else
            ``<pipeline>::<step>::<output>``); ``{date}`` and ``{time}`` are filled in.
        version: a version of your own (``"v1.0"``, ``3``); default: the name's next number.
            A version that exists already fails the step before it executes.
        tags: tags of the version.
        run_metadata: metadata logged on the version (values as for ``log_metadata``).
        artifact_type: an :class:`~stepstone.enums.ArtifactType` (default ``DATA``).
        is_model_artifact: ZenML's older spelling of ``artifact_type=ArtifactType.MODEL``.
        is_deployment_artifact: the older spelling of ``artifact_type=ArtifactType.SERVICE``.

    Example:
        >>> from typing import Annotated
        >>> from stepstone import ArtifactConfig, step
        >>> @step
        ... def train() -> Annotated[dict, ArtifactConfig(name="model", tags=["candidate"])]:
        ...     return {"weights": [1, 2]}
        >>> train.signature.outputs[0].name
        'model'
    """

    __slots__ = ("artifact_type", "name", "run_metadata", "tags", "version")

    def __init__(
        self,
        name: str | None = None,
        *,
        version: str | int | None = None,
        tags: Sequence[str] | None = None,
        run_metadata: Mapping[str, Any] | None = None,
        artifact_type: ArtifactType | str | None = None,
        is_model_artifact: bool = False,
        is_deployment_artifact: bool = False,
        **unknown: Any,
    ) -> None:
        if unknown:
            wrong = sorted(unknown)[0]
            raise DefinitionError(
                f"ArtifactConfig has no option '{wrong}'.{did_you_mean(wrong, _OPTIONS)} "
                f"Its options: {', '.join(_OPTIONS)}."
            )
        self.name = _name(name)
        self.version = check_version(version, "ArtifactConfig")
        self.tags = check_tags(tags, "ArtifactConfig")
        if run_metadata is not None and not isinstance(run_metadata, Mapping):
            raise DefinitionError(
                f"ArtifactConfig(run_metadata={run_metadata!r}) takes a dict of key -> value, "
                'e.g. run_metadata={"rows": 100}.'
            )
        self.run_metadata = dict(run_metadata or {})
        self.artifact_type = resolve_artifact_type(
            artifact_type, is_model_artifact, is_deployment_artifact, where="ArtifactConfig"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArtifactConfig):
            return NotImplemented
        return repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        given = {option: getattr(self, option) for option in self.__slots__}
        shown = ", ".join(f"{key}={value!r}" for key, value in sorted(given.items()) if value)
        return f"ArtifactConfig({shown})"


def _name(name: object) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise DefinitionError(
            f"ArtifactConfig(name={name!r}): a name is a non-empty string, e.g. "
            'ArtifactConfig(name="iris_dataset").'
        )
    return name


def check_version(version: object, where: str) -> str | None:
    """A version given by the user as stored (text), refused unless a number or a short text."""
    if version is None:
        return None
    if isinstance(version, int) and not isinstance(version, bool) and version >= 0:
        return str(version)
    if isinstance(version, str) and version.strip() and len(version) <= 64:
        return version
    raise DefinitionError(
        f"{where}(version={version!r}): a version is a whole number >= 0 or a non-empty "
        'string of at most 64 characters, e.g. version="v1.0"; leave it out to number versions '
        "automatically."
    )


def check_tags(tags: object, where: str) -> tuple[str, ...]:
    """Tags as a tuple without repeats, refused unless a list of non-empty strings."""
    if tags is None:
        return ()
    if isinstance(tags, str) or not isinstance(tags, Sequence | set | frozenset):
        raise DefinitionError(
            f"{where}(tags={tags!r}) takes a list of tags, e.g. tags=[{tags!r}]."
            if isinstance(tags, str)
            else f"{where}(tags={tags!r}) takes a list of strings."
        )
    if not all(isinstance(tag, str) and tag for tag in tags):
        raise DefinitionError(f"{where}(tags={list(tags)!r}): every tag is a non-empty string.")
    return tuple(dict.fromkeys(tags))


def resolve_artifact_type(
    given: object, is_model: bool, is_deployment: bool, *, where: str
) -> ArtifactType:
    """The type from ``artifact_type=`` or ZenML's older ``is_model_artifact`` /
    ``is_deployment_artifact`` flags (``where`` names the call in errors)."""
    pairs = ((ArtifactType.MODEL, is_model), (ArtifactType.SERVICE, is_deployment))
    flags = [kind for kind, on in pairs if on]
    if given is None:
        if len(flags) > 1:
            raise DefinitionError(
                f"{where}: is_model_artifact and is_deployment_artifact are both set; "
                "an artifact has one type."
            )
        return flags[0] if flags else ArtifactType.DATA
    try:
        kind = ArtifactType(given)  # type: ignore[arg-type]  # refused below unless a type
    except ValueError:
        names = [member.name for member in ArtifactType] + [member.value for member in ArtifactType]
        raise DefinitionError(
            f"{where}(artifact_type={given!r}) is not an artifact type."
            f"{did_you_mean(str(given), names)} Use stepstone.enums.ArtifactType "
            f"({', '.join(member.name for member in ArtifactType)})."
        ) from None
    if flags and flags != [kind]:
        raise DefinitionError(
            f"{where}: artifact_type={kind.name} contradicts "
            f"{'is_model_artifact' if is_model else 'is_deployment_artifact'}=True; give one."
        )
    return kind
