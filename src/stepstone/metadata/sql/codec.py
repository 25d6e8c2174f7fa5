"""Encoding records into rows and rows back into records, by column name.

Both the raw-driver hot paths and the SQLAlchemy Core reads go through these functions, so a row
written by one reads back equal through the other. Which columns a record has, in which order,
and which hold JSON or timestamps comes from the table's spec (:mod:`.columns`): a row is
``dict(zip(spec.fields, values))``, never ``values[13]``. JSON columns hold text; values that
JSON has no type for (enums, dataclasses, pydantic models, paths, sets) are stored in their
natural JSON form rather than failing the write: these columns are for display and ``explain``,
never for keys.

Text is made storable here, at the boundary (:mod:`stepstone.text`): a lone surrogate or a NUL in
a parameter value, an exception message or a name is written as a backslash escape, so one odd
character never fails the write that also holds the run's successful steps.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter, gt, itemgetter
from pathlib import PurePath
from typing import Any, cast

from stepstone.cache.manifest import KeyManifest
from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.records import ArtifactRecord, StepRunRecord
from stepstone.metadata.sql.columns import (
    ARTIFACTS,
    PIPELINE_RUNS,
    STEP_RUNS,
    ColumnSpec,
    Kind,
    TableSpec,
)
from stepstone.text import storable_json, storable_text

DateTimeIn = Callable[[datetime | None], Any]
DateTimeOut = Callable[[Any], datetime | None]


def sqlite_datetime_in(value: datetime | None) -> str | None:
    """What :class:`~.tables.UtcDateTime` stores on SQLite, computed without SQLAlchemy.

    SQLAlchemy's SQLite format is ``YYYY-MM-DD HH:MM:SS.ffffff`` (always six digits, so text order
    is time order); ``isoformat`` with ``timespec="microseconds"`` writes exactly that (~10x
    faster than the dialect's processor).
    """
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} given to the metadata store; "
            "pass an aware datetime, e.g. datetime.now(UTC)"
        )
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def sqlite_datetime_out(value: str | None) -> datetime | None:
    """The aware UTC datetime of a SQLite timestamp written by :func:`sqlite_datetime_in`."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return value.hex()
    return repr(value)


def _direct(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, calling the C encoder it builds directly.

    ``encode`` sets that encoder up in Python on every call (~80 bytecodes, three times per
    executed step); the same call with the same arguments gives the same text. Where there is
    no C encoder, or it does not take these arguments, ``encode`` itself.
    """
    from json import encoder as module

    made: Callable[..., Any] | None = getattr(module, "c_make_encoder", None)
    if made is None or encoder.indent is not None or encoder.ensure_ascii:
        return encoder.encode
    make, circular = made, encoder.check_circular
    settings = (
        encoder.default,
        module.encode_basestring,
        None,  # indent
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )

    def encode(value: Any) -> str:
        markers = {} if circular else None
        return "".join(make(markers, *settings)(value, 0))

    probe = {"a": [1, 2.5, None, True, "é\x00"], "b": {}}
    try:
        same = encode(probe) == encoder.encode(probe)
    except TypeError:  # another signature than this one's
        same = False
    return encode if same else encoder.encode


_ENCODER = json.JSONEncoder(default=_json_default, ensure_ascii=False)
_encode = _direct(_ENCODER)


def encode_json(value: Mapping[str, Any] | None) -> str:
    """Storable text for a JSON column; ``None`` and empty mappings are stored as ``{}``."""
    return storable_json(_encode(value)) if value else "{}"


def decode_json(text: str | None) -> dict[str, Any]:
    """The dict stored in a JSON column (empty for NULL or empty text)."""
    if not text or text == "{}":
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}


class RowCodec:
    """One table's records to row values and back, by the column names of its spec.

    JSON columns are encoded and decoded here; timestamps with the conversions given (the raw
    driver's need them, SQLAlchemy Core converts its own). Values are looked up by name once and
    patched by position, which keeps the hot path (one lookup and one write per step) cheap.
    """

    def __init__(
        self,
        table: TableSpec,
        given: tuple[str, ...] = (),
        typed: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] | None = None,
        record_type: type | None = None,
    ) -> None:
        """``typed`` maps a JSON field held as a value object to its (to JSON, from JSON);
        ``record_type`` is the dataclass :meth:`record` builds."""
        self.table = table
        self.fields = table.fields
        self._given = given
        self._values = attrgetter(*table.fields)
        self._json = table.positions(Kind.JSON)
        self._timestamps = table.positions(Kind.TIMESTAMP)
        texts = sorted(table.positions(Kind.STRING) + table.positions(Kind.TEXT))
        #: (position, column, length or None) of the text columns: made storable, then
        #: checked against the column's length.
        self._texts = tuple((i, table.columns[i], table.columns[i].length) for i in texts)
        bounded = [i for i in texts if table.columns[i].length is not None]
        #: The text values, those of bounded columns first, and those bounds (see _plain).
        self._text_values = _getter([*bounded, *(i for i in texts if i not in bounded)])
        self._bounds = tuple(cast("int", table.columns[i].length) for i in bounded)
        typed = typed or {}
        self._to_json = tuple((table.fields.index(f), out) for f, (out, _) in typed.items())
        #: (position, decode) of each JSON column, a typed one decoded into its value object.
        self._from_json = tuple(
            (i, _then(decode_json, typed[table.fields[i]][1]) if table.fields[i] in typed
             else decode_json)
            for i in self._json
        )  # fmt: skip
        self._record_type = record_type
        self._positional = record_type is not None and _leading_fields(record_type, table.fields)

    def row(self, record: object, dt_in: DateTimeIn, **given: Any) -> tuple[Any, ...]:
        """Parameters of an INSERT of ``record``, in the spec's column order.

        ``given`` holds the values of the columns the record has no attribute for (the
        ``given`` names of the constructor), e.g. a run's ``pipeline_id``.
        """
        if self._given:
            values = [
                given[name] if name in self._given else getattr(record, name)
                for name in self.fields
            ]
        else:
            values = list(self._values(record))
        for i, to_json in self._to_json:
            values[i] = to_json(values[i])
        for i in self._json:
            values[i] = encode_json(values[i])
        for i in self._timestamps:
            values[i] = dt_in(values[i])
        if self._plain(values):
            return tuple(values)
        for i, column, length in self._texts:
            value = values[i]
            if isinstance(value, str):
                if not value.isascii() or "\x00" in value:  # else storable as it is
                    value = values[i] = storable_text(value)
                if length is not None and len(value) > length:
                    raise _too_long(self.table, column, value)
        return tuple(values)

    def _plain(self, values: list[Any]) -> bool:
        """Whether every text value is storable as it is and fits its column (the common row).

        Checked by C-level calls over all of them at once, not a loop over the columns (that
        loop was most of encoding a step run). False sends the row through the per-column
        checks, which escape the text or refuse it; so does a value that is no text.
        """
        texts = self._text_values(values)
        try:
            plain: list[str] = list(map(_AS_TEXT.get, texts, texts))  # None as ""
            joined = "".join(plain)
        except TypeError:
            return False
        return (
            joined.isascii()
            and "\x00" not in joined
            and not any(map(gt, map(len, plain), self._bounds))
        )

    def values_of(self, values: Sequence[Any], dt_out: DateTimeOut | None = None) -> list[Any]:
        """The decoded values of a row read in the spec's column order (same order).

        ``dt_out`` converts the raw driver's timestamps; Core results are already converted.
        """
        if len(values) != len(self.fields):
            raise ValueError(
                f"a {self.table.name} row has {len(values)} values, the spec {len(self.fields)}"
            )
        decoded = list(values)
        for i, decode in self._from_json:
            decoded[i] = decode(decoded[i])
        if dt_out is not None:
            for i in self._timestamps:
                decoded[i] = dt_out(decoded[i])
        return decoded

    def fields_of(self, values: Sequence[Any], dt_out: DateTimeOut | None = None) -> dict[str, Any]:
        """Record attributes of the values of a row read in the spec's column order."""
        return dict(zip(self.fields, self.values_of(values, dt_out), strict=True))

    def record(self, values: Sequence[Any], dt_out: DateTimeOut | None = None, **extra: Any) -> Any:
        """The ``record_type`` of a row's values, with ``extra`` for the fields no column holds.

        When the record's leading fields are the spec's fields in the same order (checked by
        name when the codec is made), the values are passed by position: the hot path's lookup
        decodes one artifact per cached step.
        """
        assert self._record_type is not None, f"no record type for {self.table.name}"
        decoded = self.values_of(values, dt_out)
        if self._positional:
            return self._record_type(*decoded, **extra)
        return self._record_type(**dict(zip(self.fields, decoded, strict=True)), **extra)


#: Maps ``None`` to ``""`` and, as the default ``get`` is given, any other value to itself.
_AS_TEXT: dict[Any, str] = {None: ""}


def _getter(positions: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The values at ``positions`` as a tuple (``itemgetter`` alone gives one value for one)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda values: tuple(values[i] for i in positions)


def _then(first: Callable[[Any], Any], second: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: second(first(value))


def _leading_fields(record_type: type, names: tuple[str, ...]) -> bool:
    """Whether ``record_type``'s first dataclass fields are ``names``, in that order."""
    declared = tuple(f.name for f in dataclasses.fields(record_type))
    return declared[: len(names)] == names


def _too_long(table: TableSpec, column: ColumnSpec, value: str) -> MetadataStoreError:
    """The error for a name longer than its column holds, raised before the database sees it.

    SQLite would store it; PostgreSQL and MySQL refuse it mid-write. Refusing it everywhere
    means a pipeline that runs on one backend runs on all of them.
    """
    return MetadataStoreError(
        f"Metadata store: {table.name}.{column.name} holds at most {column.length} characters, "
        f"and {value[:60]!r}... has {len(value)}; choose a shorter name."
    )


ARTIFACT_CODEC = RowCodec(ARTIFACTS, record_type=ArtifactRecord)
STEP_RUN_CODEC = RowCodec(
    STEP_RUNS,
    typed={"manifest": (KeyManifest.to_json, KeyManifest.from_json)},
    record_type=StepRunRecord,
)
#: A run row names its pipeline by id; the record by name.
PIPELINE_RUN_CODEC = RowCodec(PIPELINE_RUNS, given=("pipeline_id",))


def artifact_from_row(values: Sequence[Any], dt_out: DateTimeOut | None = None) -> ArtifactRecord:
    """An artifact from a row's values in the column order of :data:`~.columns.ARTIFACTS`."""
    record: ArtifactRecord = ARTIFACT_CODEC.record(values, dt_out)
    return record


def step_run_from_row(
    values: Sequence[Any],
    inputs: dict[str, ArtifactRecord],
    outputs: dict[str, ArtifactRecord],
    dt_out: DateTimeOut | None = None,
) -> StepRunRecord:
    """A step run from a row's values in the column order of :data:`~.columns.STEP_RUNS`."""
    record: StepRunRecord = STEP_RUN_CODEC.record(values, dt_out, inputs=inputs, outputs=outputs)
    return record
