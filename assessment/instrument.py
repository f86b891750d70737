"""The contract every Skillsprint instrument fulfils, and the scoring steps they share.

An instrument is one game or scenario test. It declares its trial event schema and its
scales (the scores it produces, each standardised so that higher means more of the
construct), and implements two vectorised functions:

* :meth:`Instrument.simulate` — the response model: latent standardised traits, one
  column per scale, to a realistic event log for many sessions at once;
* :meth:`Instrument.raw_scores` — events of many sessions to raw scale scores.

Everything else (validation, repair of repeated or shuffled events, completion, the
generic quality flags, split-half parts) lives here so that all instruments behave alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from assessment.events import EventSchema
from assessment.quality import repair_flags

ReliabilityMethod = Literal["split_half", "alpha", "irt"]


@dataclass(frozen=True)
class Scale:
    """One score an instrument produces.

    ``reliability`` says how its measurement error is known: ``split_half`` (odd against
    even trials, stepped up by Spearman–Brown), ``alpha`` (Cronbach's alpha over items) or
    ``irt`` (the item-response model gives a standard error per person).
    """

    id: str
    label_en: str
    label_nl: str
    meaning: str
    reliability: ReliabilityMethod = "split_half"


@dataclass(frozen=True, eq=False)
class InstrumentScores:
    """Raw scores of many sessions on one instrument, with how much was played and flags."""

    instrument: str
    raw: pd.DataFrame            # index session_id; a column per scale (+ "<scale>.se" for irt scales)
    completion: pd.Series        # share of a full administration played, 0..1
    flags: pd.DataFrame          # index session_id; a bool column per flag code
    events: pd.DataFrame = field(repr=False)  # the validated, repaired events behind the scores


class Instrument(ABC):
    """Base class of the Skillsprint instruments."""

    id: ClassVar[str]
    version: ClassVar[str]
    title_en: ClassVar[str]
    title_nl: ClassVar[str]
    schema: ClassVar[EventSchema]
    scales: ClassVar[tuple[Scale, ...]]
    n_trials: ClassVar[int]
    min_trials: ClassVar[int]

    def __init_subclass__(cls, **kwargs):
        # Cronbach's alpha needs item-level scores (``item_matrix(events, scale_id)``,
        # sessions × items); an instrument that declares such a scale without them is a
        # programming error, caught when the class is defined rather than when norms are built.
        super().__init_subclass__(**kwargs)
        scales = getattr(cls, "scales", ())
        if any(s.reliability == "alpha" for s in scales) and not callable(getattr(cls, "item_matrix", None)):
            raise TypeError(f"{cls.__name__} has alpha-reliability scales but no item_matrix(events, scale_id)")

    @property
    def scale_ids(self) -> list[str]:
        return [s.id for s in self.scales]

    # ------------------------------------------------------------------ to implement

    @abstractmethod
    def simulate(self, theta: np.ndarray, rng: np.random.Generator, *,
                 careless: np.ndarray | None = None) -> pd.DataFrame:
        """Event logs of ``len(theta)`` sessions (``session_id`` 0..n-1, integer ``event_id``).

        ``theta[:, j]`` is the latent standardised trait behind ``scales[j]`` (population mean
        0, SD 1). Sessions marked *careless* play without paying attention, so the
        quality checks have something realistic to catch.
        """

    @abstractmethod
    def raw_scores(self, events: pd.DataFrame) -> pd.DataFrame:
        """Scale scores per session (index ``session_id``) from validated, repaired events.

        Must accept any subset of trials (split halves, unfinished sessions) and stay
        finite; higher always means more of the construct. A scale whose evidence varies
        with how the person played (not only with how much) may add a column
        ``"<scale>.evidence"``: the share of a typical full run's information it rests on.
        """

    def specific_flags(self, events: pd.DataFrame, flags: pd.DataFrame) -> None:
        """Set the instrument's own flags (too fast, non-responding, patterned…) in place."""

    def completion(self, events: pd.DataFrame, sessions: pd.Index) -> pd.Series:
        played = events.groupby("session_id").size().reindex(sessions).fillna(0)
        return (played / self.n_trials).clip(upper=1.0)

    # ------------------------------------------------------------------ shared steps

    def prepare(self, events: pd.DataFrame | list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Validated, repaired events and the flags the repair raised."""
        events = self.schema.validate(events)
        sessions = pd.Index(pd.unique(events["session_id"]), name="session_id")
        return repair_flags(events, sessions)

    def score(self, events: pd.DataFrame | list[dict]) -> InstrumentScores:
        """Validate, repair, score and flag many sessions at once."""
        events, flags = self.prepare(events)
        sessions = flags.index
        raw = self.raw_scores(events).reindex(sessions)
        completion = self.completion(events, sessions)
        flags["incomplete"] = completion.to_numpy() < 1.0
        played = events.groupby("session_id").size().reindex(sessions).fillna(0).to_numpy()
        flags["too_short"] = played < self.min_trials
        self.specific_flags(events, flags)
        return InstrumentScores(self.id, raw, completion, flags, events)

    def split_halves(self, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Scale scores on the odd and on the even trials, for split-half reliability."""
        odd = events["trial"].to_numpy() % 2 == 1
        return self.raw_scores(events.loc[~odd]), self.raw_scores(events.loc[odd])

    def describe(self) -> dict:
        return {"id": self.id, "version": self.version, "title_en": self.title_en, "title_nl": self.title_nl,
                "trials": self.n_trials, "min_trials": self.min_trials,
                "scales": [{"id": s.id, "label_en": s.label_en, "label_nl": s.label_nl, "meaning": s.meaning,
                            "reliability": s.reliability} for s in self.scales],
                "events": self.schema.describe()}


def trial_clock(n_sessions: int, durations_ms: np.ndarray) -> np.ndarray:
    """Device clock at each trial's start: cumulative durations per session (rows)."""
    clock = np.cumsum(durations_ms, axis=1) - durations_ms
    return np.round(clock, 1)


def long_format(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """An (n_sessions, n_trials) block of per-trial arrays as a flat event table."""
    first = next(iter(columns.values()))
    n, t = first.shape
    frame = {"session_id": np.repeat(np.arange(n, dtype=np.int64), t),
             "event_id": np.tile(np.arange(t, dtype=np.int64), n),
             "trial": np.tile(np.arange(t, dtype=np.int64), n)}
    frame.update({name: values.reshape(-1) for name, values in columns.items()})
    return pd.DataFrame(frame)
