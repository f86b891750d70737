"""Event schemas: what a game sends per trial, checked column-wise over many sessions at once.

Every instrument's events share four columns: ``session_id``, ``event_id`` (unique within a
session; the key that makes re-sent batches harmless), ``trial`` (0-based position in the
instrument's sequence) and ``t_ms`` (milliseconds since the instrument started, as the
device measured it). The instrument adds its own fields. Validation works on whole
DataFrames so that a million events cost one pass, and the first bad value is reported by
event id and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from assessment.errors import AssessmentInputError

FieldKind = Literal["int", "float", "bool", "category"]


@dataclass(frozen=True)
class EventField:
    """One field of an instrument's trial event."""

    name: str
    kind: FieldKind
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False

    def describe(self) -> dict:
        out = {"name": self.name, "type": self.kind, "description": self.doc, "nullable": self.nullable}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        if self.choices:
            out["choices"] = list(self.choices)
        return out


COMMON_FIELDS: tuple[EventField, ...] = (
    EventField("trial", "int", "0-based position of the trial in the instrument's sequence.", low=0, high=10_000),
    EventField("t_ms", "float", "Milliseconds since the instrument started, from the device clock.",
               low=0, high=4 * 3600 * 1000),
)
KEY_COLUMNS = ("session_id", "event_id")


@dataclass(frozen=True)
class EventSchema:
    """The fields of one instrument's trial events, beyond the common ones."""

    instrument: str
    fields: tuple[EventField, ...]

    @property
    def all_fields(self) -> tuple[EventField, ...]:
        return COMMON_FIELDS + self.fields

    @property
    def columns(self) -> list[str]:
        return [*KEY_COLUMNS, *(f.name for f in self.all_fields)]

    def describe(self) -> dict:
        return {"instrument": self.instrument,
                "keys": {"session_id": "The Skillsprint session.",
                         "event_id": "Unique within the session; re-sending an event is harmless."},
                "fields": [f.describe() for f in self.all_fields]}

    # ------------------------------------------------------------------ cross-field rules

    def refuse(self, frame: pd.DataFrame, bad: np.ndarray, field: str, problem: str) -> None:
        """Raise for the first event where *bad* holds (for rules that tie fields together)."""
        if bad.any():
            _fail(self.instrument, frame["event_id"], bad, field, problem)

    def refuse_unpaired_response_times(self, frame: pd.DataFrame, trial_noun: str = "trial") -> None:
        """A response needs its reaction time, and only a response has one."""
        responded = frame["responded"].to_numpy(dtype=bool)
        has_rt = frame["rt_ms"].notna().to_numpy()
        self.refuse(frame, responded & ~has_rt, "rt_ms", "a response needs its reaction time")
        self.refuse(frame, ~responded & has_rt, "rt_ms",
                    f"a reaction time was sent for a {trial_noun} without a response")

    # ------------------------------------------------------------------ validation

    def validate(self, events: pd.DataFrame | list[dict]) -> pd.DataFrame:
        """Checked, typed, de-duplicated events sorted by session and trial.

        An event sent twice with identical content counts once. The same event id with
        different content is refused, because one of the two must be wrong.
        """
        frame = pd.DataFrame.from_records(events) if isinstance(events, list) else events
        if frame.empty:
            return pd.DataFrame({c: pd.Series(dtype=_empty_dtype(c, self)) for c in self.columns})
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise AssessmentInputError(self.instrument, "missing field(s): " + ", ".join(missing), field=missing[0])
        frame = frame.loc[:, self.columns].copy()
        ids = frame["event_id"]
        for key in KEY_COLUMNS:
            null = frame[key].isna().to_numpy()
            if null.any():
                where = np.flatnonzero(null)[0]
                raise AssessmentInputError(self.instrument, "value is missing",
                                           event_id=None if key == "event_id" else ids.iloc[where], field=key)
        for spec in self.all_fields:
            frame[spec.name] = _coerce(frame[spec.name], spec, ids, self.instrument)
        return _deduplicate(frame, self.instrument).sort_values(
            ["session_id", "trial", "t_ms"], kind="stable").reset_index(drop=True)


def _empty_dtype(column: str, schema: EventSchema):
    for spec in schema.all_fields:
        if spec.name == column:
            return {"int": "int64", "float": "float64", "bool": "bool", "category": "object"}[spec.kind]
    return "object"


def _fail(instrument: str, ids: pd.Series, mask: np.ndarray, field: str, problem) -> None:
    first = np.flatnonzero(mask)[0]
    detail = problem(first) if callable(problem) else problem
    raise AssessmentInputError(instrument, detail, event_id=ids.iloc[first], field=field)


def _coerce(column: pd.Series, spec: EventField, ids: pd.Series, instrument: str) -> pd.Series:
    null = column.isna().to_numpy()
    if null.any() and not spec.nullable:
        _fail(instrument, ids, null, spec.name, "value is missing")
    if spec.kind == "category":
        values = column.astype(object)
        bad = ~null & ~values.isin(spec.choices).to_numpy()
        if bad.any():
            _fail(instrument, ids, bad, spec.name,
                  lambda i: f"{values.iloc[i]!r} is not one of {', '.join(spec.choices)}")
        return values
    if spec.kind == "bool":
        if column.dtype == bool:
            return column
        lowered = column.map(lambda v: v if isinstance(v, (bool, np.bool_)) else str(v).strip().lower())
        truthy = lowered.isin([True, "true", "1"]).to_numpy()
        falsy = lowered.isin([False, "false", "0"]).to_numpy()
        bad = ~(truthy | falsy | null)
        if bad.any():
            _fail(instrument, ids, bad, spec.name, lambda i: f"{column.iloc[i]!r} is not true or false")
        if null.any():
            return pd.Series(np.where(null, None, truthy), index=column.index, dtype=object)
        return pd.Series(truthy, index=column.index)
    numbers = pd.to_numeric(column, errors="coerce")
    values = numbers.to_numpy(dtype=float)
    bad = ~null & ~np.isfinite(values)
    if bad.any():
        _fail(instrument, ids, bad, spec.name, lambda i: f"{column.iloc[i]!r} is not a number")
    if spec.kind == "int":
        fractional = ~null & (values != np.round(values))
        if fractional.any():
            _fail(instrument, ids, fractional, spec.name, lambda i: f"{values[i]:g} is not a whole number")
    with np.errstate(invalid="ignore"):
        if spec.low is not None and (low := ~null & (values < spec.low)).any():
            _fail(instrument, ids, low, spec.name, lambda i: f"{values[i]:g} is below the minimum {spec.low:g}")
        if spec.high is not None and (high := ~null & (values > spec.high)).any():
            _fail(instrument, ids, high, spec.name, lambda i: f"{values[i]:g} is above the maximum {spec.high:g}")
    if spec.kind == "int" and not null.any():
        return pd.Series(values.astype(np.int64), index=column.index)
    return pd.Series(values, index=column.index)


def _deduplicate(frame: pd.DataFrame, instrument: str) -> pd.DataFrame:
    same_key = frame.duplicated(list(KEY_COLUMNS), keep="first").to_numpy()
    if not same_key.any():
        return frame
    # Rows equal in every field are harmless repeats; a key that survives that filter twice
    # carries two different contents.
    distinct = frame.loc[~frame.astype(str).duplicated(keep="first").to_numpy()]
    conflict = distinct.duplicated(list(KEY_COLUMNS), keep=False).to_numpy()
    if conflict.any():
        first = np.flatnonzero(conflict)[0]
        raise AssessmentInputError(instrument, "sent twice with different content",
                                   event_id=distinct["event_id"].iloc[first], field="event_id")
    return frame.loc[~same_key]
