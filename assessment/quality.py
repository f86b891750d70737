"""Data-quality flags: what can go wrong in play, and what each problem does to a score.

A flag never passes silently. Its effect is one of:

``unscorable``
    the scale is left unmeasured: too little play, no answers, or answers faster than
    perception (play that fast carries no information, and scoring it would bias the level
    downwards however wide its error);
``widen``
    the scale is scored, but its standard error is multiplied by :data:`WIDEN_FACTOR`,
    because the play behind it is doubtful (patterned, inconsistent) yet may be genuine;
``partial``
    fewer trials than a full run: the standard error grows by Spearman–Brown for the
    shorter test, which is exact rather than a penalty;
``info``
    recorded for the analyst (events repeated or out of order were repaired) and changes
    nothing, because the repair is lossless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Effect = Literal["unscorable", "widen", "partial", "info"]

# Doubling the error variance: a doubtful score keeps half its information.
WIDEN_FACTOR = float(np.sqrt(2.0))
# Responses faster than this cannot follow from seeing the stimulus (simple reaction
# times of healthy adults start around 150-200 ms).
ANTICIPATION_MS = 150.0


@dataclass(frozen=True)
class Flag:
    code: str
    effect: Effect
    en: str
    nl: str


FLAGS: dict[str, Flag] = {f.code: f for f in (
    Flag("incomplete", "partial", "The game was not finished; the score rests on fewer trials.",
         "Het spel is niet afgemaakt; de score rust op minder opdrachten."),
    Flag("too_short", "unscorable", "Too little of the game was played to give a score.",
         "Er is te weinig van het spel gespeeld om een score te geven."),
    Flag("non_responding", "unscorable", "Most trials got no answer, so the game says nothing about the skill.",
         "Bij de meeste opdrachten kwam geen antwoord; het spel zegt dan niets over de vaardigheid."),
    Flag("too_fast", "unscorable", "Many answers came faster than anyone can read or see the task, so they say "
         "nothing about the skill.",
         "Veel antwoorden kwamen sneller dan iemand de opdracht kan zien of lezen; ze zeggen dan niets over de "
         "vaardigheid."),
    Flag("patterned", "widen", "The answers follow a fixed pattern (for example always the same choice).",
         "De antwoorden volgen een vast patroon (bijvoorbeeld steeds hetzelfde antwoord)."),
    Flag("inconsistent", "widen", "Answers to questions that ask the same thing contradict each other.",
         "Antwoorden op vragen die hetzelfde vragen spreken elkaar tegen."),
    Flag("duplicate_trials", "info", "A trial arrived more than once under different event ids; the earliest was kept.",
         "Een opdracht kwam vaker binnen; de eerste is gebruikt."),
    Flag("out_of_order", "info", "Events arrived with clock times out of trial order; they were put in order.",
         "Gebeurtenissen kwamen in de verkeerde volgorde binnen; ze zijn op volgorde gezet."),
)}


def empty_flags(sessions: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(False, index=sessions, columns=list(FLAGS))


def share_by_session(events: pd.DataFrame, mask: np.ndarray, sessions: pd.Index,
                     among: np.ndarray | None = None) -> pd.Series:
    """Per session: the share of (the *among* subset of) events for which *mask* holds."""
    among = np.ones(len(events), dtype=bool) if among is None else among
    keys = events["session_id"].to_numpy()
    hits = pd.Series(mask & among).groupby(keys).sum()
    total = pd.Series(among).groupby(keys).sum()
    return (hits / total.where(total > 0)).reindex(sessions).fillna(0.0)


def longest_run_share(events: pd.DataFrame, column: str, sessions: pd.Index) -> pd.Series:
    """Per session: the longest run of identical answers in *column*, as a share of answers.

    Straight-lining (the same answer again and again) is the classic sign of answering
    without reading; events must be sorted by session and trial.
    """
    keys = events["session_id"].to_numpy()
    values = events[column].to_numpy()
    new_run = np.ones(len(events), dtype=bool)
    new_run[1:] = (values[1:] != values[:-1]) | (keys[1:] != keys[:-1])
    run_id = np.cumsum(new_run)
    run_length = pd.Series(1, index=run_id).groupby(level=0).transform("size").to_numpy()
    longest = pd.Series(run_length).groupby(keys).max()
    count = pd.Series(keys).groupby(keys).size()
    return (longest / count).reindex(sessions).fillna(0.0)


def repair_flags(events: pd.DataFrame, sessions: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop repeated trials (keeping the earliest) and note out-of-order clocks.

    Events arrive sorted by session, trial and clock time from :meth:`EventSchema.validate`.
    """
    flags = empty_flags(sessions)
    keys = events["session_id"].to_numpy()
    repeated = events.duplicated(["session_id", "trial"], keep="first").to_numpy()
    if repeated.any():
        flags.loc[pd.unique(keys[repeated]), "duplicate_trials"] = True
        events = events.loc[~repeated]
        keys = events["session_id"].to_numpy()
    clock = events["t_ms"].to_numpy()
    backwards = np.zeros(len(events), dtype=bool)
    backwards[1:] = (clock[1:] < clock[:-1]) & (keys[1:] == keys[:-1])
    if backwards.any():
        flags.loc[pd.unique(keys[backwards]), "out_of_order"] = True
    return events, flags


def describe(codes) -> list[dict]:
    return [{"code": c, "effect": FLAGS[c].effect, "en": FLAGS[c].en, "nl": FLAGS[c].nl} for c in codes]
