"""Work-style questionnaire: 36 short statements about everyday work, each answered on a
five-point scale from 1 "not at all like me" to 5 "very much like me".

Six scales of six items each: dependability, persistence, initiative, adaptability, stress
tolerance and working independently. The items live in
``data/assessment/questionnaire_items.csv`` (plain English and Dutch at reading level B1,
rows in the order the game shows them, scales interleaved so that no two neighbours share a
scale). Two of the six items of every scale are reverse-keyed ("I am often a few minutes
late"), and each reverse-keyed item has a partner that asks nearly the same thing the other
way round; those twelve pairs carry the inconsistency index. A full run takes about three
minutes (simulated median 2.6 minutes: 4.0 s an answer plus the screen change).

Scoring. A reverse-keyed answer counts as ``6 - answer``; a scale score is the mean keyed
answer over the scale's items that were answered (1..5, higher = more of the trait; the
neutral midpoint 3 when none were, which only happens in sessions far too short to score).
Reliability is Cronbach's alpha over :meth:`WorkStyleQuestionnaire.item_matrix`: on 5,000
simulated attentive sessions it is 0.865–0.891 per scale, and the raw scores correlate
0.918–0.932 with the simulated traits.

Response model. A graded response model per item: the keyed answer reaches at least
category *k + 1* with probability ``logistic(sim_a * (theta - sim_b<k>) + key * acquiescence
+ desirability)``, with ``key`` +1 for positively and -1 for reverse-keyed items. The item
parameters ``sim_a`` and ``sim_b1..sim_b4`` in the CSV are the simulation's truth, not
estimates from real people. *Acquiescence* is a person's tendency to agree with whatever is
asked, whatever it says: it pushes raw answers up on every item, so in keyed scoring it
raises positively keyed items and lowers reverse-keyed ones. Within an opposite-keyed pair
it cancels exactly; a scale of four positive and two reverse-keyed items keeps (4 - 2) / 6 =
a third of it, instead of all of it without reverse keying, and what remains shows up in the
inconsistency index, because an acquiescent person agrees with a statement and with its
reverse. *Social desirability* (presenting oneself well) raises keyed answers on every item
alike, since all six traits are desirable; reverse keying cannot cancel it and it is kept
small. Discrimination drops slightly over the run as attention wears.

Response times grow with item length: a fixed part for looking and tapping, reading time per
word (per person log-normal around 300 ms a word, B1 readers in a second language being
among the slower; readers speed up over the run as the format becomes familiar), a decision
time that is longest when the statement sits near the person's own trait level (the
distance-difficulty effect), an ex-Gaussian tail and rare long lapses. Careless players
either straight-line (tap the same answer through the whole list, without reading) or tap
random answers very fast.

Quality flags, with thresholds set on 20,000 simulated attentive sessions and rates
measured on those and on 20,000 simulated careless ones (half of each kind), seed 2024:

* ``too_fast``: more than a quarter of the answers faster than the item's reading floor,
  :data:`FLOOR_BASE_MS` plus :data:`FLOOR_MS_PER_WORD` per word of the shorter of its two
  texts (600 words a minute is beyond reading for understanding, and the tap needs the
  anticipation time on top). Attentive 0.00 %; random fast 100 %, straight-liners 100 %.
* ``patterned``: the longest run of one identical raw answer in item order is more than
  :data:`PATTERNED_RUN_SHARE` of the answers (a run of 10 of the 36; attentive players'
  99.9th percentile is 8), judged from :attr:`min_trials` answers on. Attentive 0.00 %
  (0.04 % in another 5,000); straight-liners 99.9 %, random fast 0.01 %.
* ``inconsistent``: :func:`inconsistency_index` above :data:`INCONSISTENCY_LIMIT`, the
  attentive 99th percentile (16 / 12), judged from :data:`MIN_PAIRS` answered pairs on.
  Attentive 0.76 %; random fast 73 %, straight-liners 65 % (all but those who straight-line
  on the middle answer, which keys to 3 both ways).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assessment.errors import AssessmentInputError
from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import ANTICIPATION_MS, longest_run_share, share_by_session
from passport.resources import data_dir

ITEMS_FILE = "assessment/questionnaire_items.csv"
SCALE_NAMES = ("dependability", "persistence", "initiative", "adaptability", "stress_tolerance",
               "working_independently")
ANSWER_LOW, ANSWER_HIGH = 1, 5
NEUTRAL = (ANSWER_LOW + ANSWER_HIGH) / 2

# The reading floor: 100 ms a word is 600 words a minute, beyond reading for understanding.
FLOOR_MS_PER_WORD = 100.0
FLOOR_BASE_MS = ANTICIPATION_MS
TOO_FAST_SHARE = 0.25
PATTERNED_RUN_SHARE = 0.25
INCONSISTENCY_LIMIT = 1.34
MIN_PAIRS = 6

# Person-level response styles, in logits of the graded response model.
ACQUIESCENCE_SD = 0.4
DESIRABILITY_SD = 0.25
DUTCH_SHARE = 0.7


def load_items() -> pd.DataFrame:
    """The item bank in administration order, checked, with reading floors added."""
    path = data_dir() / ITEMS_FILE
    items = pd.read_csv(path, dtype={"item_id": str, "scale": str, "pair_id": str}, keep_default_na=False)
    needed = ["item_id", "scale", "text_en", "text_nl", "reverse", "pair_id", "sim_a",
              "sim_b1", "sim_b2", "sim_b3", "sim_b4"]
    missing = [c for c in needed if c not in items.columns]
    if missing:
        raise AssessmentInputError("questionnaire", f"{path}: missing column(s) {', '.join(missing)}",
                                   field=missing[0])
    if items["item_id"].duplicated().any() or not items["scale"].isin(SCALE_NAMES).all():
        raise AssessmentInputError("questionnaire", f"{path}: duplicate item ids or unknown scales")
    items["reverse"] = items["reverse"].astype(str).str.lower().map({"true": True, "false": False})
    thresholds = items[["sim_b1", "sim_b2", "sim_b3", "sim_b4"]].to_numpy(dtype=float)
    if items["reverse"].isna().any() or (np.diff(thresholds, axis=1) <= 0).any():
        raise AssessmentInputError("questionnaire", f"{path}: reverse must be true/false and sim_b rising")
    paired = items.loc[items["pair_id"] != ""].groupby("pair_id")
    if not ((paired.size() == 2) & (paired["scale"].nunique() == 1)).all():
        raise AssessmentInputError("questionnaire", f"{path}: every pair_id needs two items of one scale")
    words = np.minimum(items["text_en"].str.split().str.len(), items["text_nl"].str.split().str.len())
    items["floor_ms"] = FLOOR_BASE_MS + FLOOR_MS_PER_WORD * words
    return items


ITEMS = load_items()
ITEM_IDS = tuple(ITEMS["item_id"])
_SCALE_OF_ITEM = ITEMS["scale"].map({name: j for j, name in enumerate(SCALE_NAMES)}).to_numpy()
_REVERSE = ITEMS["reverse"].to_numpy(dtype=bool)
_FLOOR_MS = ITEMS["floor_ms"].to_numpy(dtype=float)
_PAIRS = ITEMS.loc[ITEMS["pair_id"] != ""].reset_index().groupby("pair_id", sort=False)["index"].agg(list)
_PAIR_ITEMS = np.array(_PAIRS.tolist())  # (n_pairs, 2) item positions


def _keyed_table(events: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Sessions, and per answer its session code, item position and keyed answer.

    An item answered twice in one session (a game replaying a screen) counts once, with the
    first answer, as repeated trials do.
    """
    codes, sessions = pd.factorize(events["session_id"])
    sessions = pd.Index(sessions, name="session_id")
    item = pd.Categorical(events["item_id"], categories=ITEM_IDS).codes.astype(np.int64)
    answer = events["answer"].to_numpy(dtype=np.int64)
    _, first = np.unique(codes * len(ITEM_IDS) + item, return_index=True)
    codes, item, answer = codes[first], item[first], answer[first]
    keyed = np.where(_REVERSE[item], ANSWER_LOW + ANSWER_HIGH - answer, answer)
    return sessions, codes, item, keyed


def _keyed_matrix(events: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    """Sessions × all items of keyed answers, NaN where an item was not answered."""
    sessions, codes, item, keyed = _keyed_table(events)
    matrix = np.full((len(sessions), len(ITEM_IDS)), np.nan)
    matrix[codes, item] = keyed
    return sessions, matrix


def _inconsistency(events: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    sessions, matrix = _keyed_matrix(events)
    gaps = np.abs(matrix[:, _PAIR_ITEMS[:, 0]] - matrix[:, _PAIR_ITEMS[:, 1]])
    answered = np.isfinite(gaps)
    pairs = answered.sum(axis=1)
    with np.errstate(invalid="ignore"):
        index = np.where(answered, gaps, 0.0).sum(axis=1) / pairs
    return sessions, index, pairs


def inconsistency_index(events: pd.DataFrame) -> pd.Series:
    """Per session: the mean absolute difference of keyed answers over the item pairs that ask
    nearly the same thing (0 = fully consistent, 4 = opposite extremes on every pair).

    NaN for a session that answered no pair completely. Events must be validated.
    """
    sessions, index, _ = _inconsistency(events)
    return pd.Series(index, index=sessions, name="inconsistency")


class WorkStyleQuestionnaire(Instrument):
    id = "questionnaire"
    version = "1.0"
    title_en = "How do you work?"
    title_nl = "Hoe werk jij?"
    n_trials = len(ITEM_IDS)
    # Two thirds of the list: with the scales interleaved, every scale then has about four
    # of its six items answered.
    min_trials = 24
    schema = EventSchema("questionnaire", (
        EventField("item_id", "category", "The statement shown (see questionnaire_items.csv).", choices=ITEM_IDS),
        EventField("answer", "int", "1 = not at all like me … 5 = very much like me, as tapped (not reverse-keyed).",
                   low=ANSWER_LOW, high=ANSWER_HIGH),
        EventField("rt_ms", "float", "Milliseconds from showing the statement to the answer.", low=0, high=600_000),
    ))
    scales = (
        Scale("questionnaire.dependability", "Dependability", "Betrouwbaar zijn",
              "Mean keyed answer (1–5) on keeping times, promises and rules.", "alpha"),
        Scale("questionnaire.persistence", "Persistence", "Doorzetten",
              "Mean keyed answer (1–5) on carrying on when work is hard, boring or goes wrong.", "alpha"),
        Scale("questionnaire.initiative", "Initiative", "Initiatief nemen",
              "Mean keyed answer (1–5) on starting work, tackling problems and offering ideas unasked.", "alpha"),
        Scale("questionnaire.adaptability", "Adaptability", "Flexibel zijn",
              "Mean keyed answer (1–5) on going along with changed plans, tasks, colleagues and methods.", "alpha"),
        Scale("questionnaire.stress_tolerance", "Handling pressure", "Omgaan met druk",
              "Mean keyed answer (1–5) on staying calm and working well when busy or under pressure.", "alpha"),
        Scale("questionnaire.working_independently", "Working independently", "Zelfstandig werken",
              "Mean keyed answer (1–5) on doing, planning and solving one's work without help.", "alpha"),
    )

    def simulate(self, theta, rng, *, careless=None):
        n, t = len(theta), self.n_trials
        key = np.where(_REVERSE, -1.0, 1.0)
        trait = theta[:, _SCALE_OF_ITEM]
        progress = np.arange(t)[None, :] / t
        acquiescence = rng.normal(0.0, ACQUIESCENCE_SD, size=(n, 1))
        desirability = rng.normal(0.0, DESIRABILITY_SD, size=(n, 1))
        slope = ITEMS["sim_a"].to_numpy()[None, :] * (1.0 - 0.08 * progress)
        thresholds = ITEMS[["sim_b1", "sim_b2", "sim_b3", "sim_b4"]].to_numpy()
        style = key[None, :] * acquiescence + desirability
        logits = slope[..., None] * (trait[..., None] - thresholds[None]) + style[..., None]
        # One uniform per answer against the rising cumulative probabilities samples the
        # graded response model exactly.
        keyed = ANSWER_LOW + (rng.random((n, t, 1)) < 1.0 / (1.0 + np.exp(-logits))).sum(axis=2)
        answer = np.where(_REVERSE[None, :], ANSWER_LOW + ANSWER_HIGH - keyed, keyed)

        dutch = rng.random((n, 1)) < DUTCH_SHARE
        words = np.where(dutch, ITEMS["text_nl"].str.split().str.len().to_numpy()[None, :],
                         ITEMS["text_en"].str.split().str.len().to_numpy()[None, :])
        ms_per_word = 300.0 * np.exp(rng.normal(0.0, 0.25, size=(n, 1)))
        reading = words * ms_per_word * (1.0 - 0.25 * progress)
        middle = slope * (trait - thresholds.mean(axis=1)[None, :]) + style
        deciding = 400.0 + 1000.0 * np.exp(-0.6 * np.abs(middle))
        tail = rng.normal(0.0, 150.0, size=(n, t)) + rng.exponential(350.0, size=(n, t))
        lapse = (rng.random((n, t)) < 0.02) * rng.exponential(6000.0, size=(n, t))
        rt = (500.0 + reading + deciding + tail + lapse).clip(300.0)

        if careless is not None and careless.any():
            rows = np.flatnonzero(careless)
            straight = rows[rng.random(len(rows)) < 0.5]
            random_fast = np.setdiff1d(rows, straight)
            chosen = rng.choice(np.arange(ANSWER_LOW, ANSWER_HIGH + 1), size=(len(straight), 1),
                                p=[0.1, 0.1, 0.35, 0.25, 0.2])
            # A straight-liner now and then slips to a neighbouring answer.
            slip = (rng.random((len(straight), t)) < 0.03) * rng.choice([-1, 1], size=(len(straight), t))
            answer[straight] = (chosen + slip).clip(ANSWER_LOW, ANSWER_HIGH)
            rt[straight] = 900.0 * np.exp(rng.normal(0.0, 0.35, size=(len(straight), t)))
            answer[random_fast] = rng.integers(ANSWER_LOW, ANSWER_HIGH + 1, size=(len(random_fast), t))
            rt[random_fast] = (450.0 * np.exp(rng.normal(0.0, 0.3, size=(len(random_fast), t)))).clip(120.0)
        rt = np.round(rt.clip(max=600_000.0), 1)
        durations = rt + rng.uniform(250.0, 450.0, size=(n, t))
        return long_format({"t_ms": trial_clock(n, durations),
                            "item_id": np.broadcast_to(np.array(ITEM_IDS, dtype=object), (n, t)).copy(),
                            "answer": answer.astype(np.int64), "rt_ms": rt})

    def raw_scores(self, events):
        sessions, codes, item, keyed = _keyed_table(events)
        n_scales = len(SCALE_NAMES)
        cell = codes * n_scales + _SCALE_OF_ITEM[item]
        size = len(sessions) * n_scales
        sums = np.bincount(cell, weights=keyed, minlength=size).reshape(-1, n_scales)
        counts = np.bincount(cell, minlength=size).reshape(-1, n_scales)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), NEUTRAL)
        return pd.DataFrame(means, index=sessions, columns=self.scale_ids)

    def item_matrix(self, events, scale_id):
        if scale_id not in self.scale_ids:
            raise AssessmentInputError(self.id, f"no scale {scale_id!r}")
        sessions, matrix = _keyed_matrix(events)
        columns = np.flatnonzero(_SCALE_OF_ITEM == self.scale_ids.index(scale_id))
        return pd.DataFrame(matrix[:, columns], index=sessions,
                            columns=pd.Index([ITEM_IDS[c] for c in columns], name="item_id"))

    def specific_flags(self, events, flags):
        sessions = flags.index
        item = pd.Categorical(events["item_id"], categories=ITEM_IDS).codes
        fast = events["rt_ms"].to_numpy(dtype=float) < _FLOOR_MS[item]
        flags["too_fast"] = share_by_session(events, fast, sessions).to_numpy() > TOO_FAST_SHARE
        answered = events.groupby("session_id").size().reindex(sessions).fillna(0).to_numpy()
        run_share = longest_run_share(events, "answer", sessions).to_numpy()
        flags["patterned"] = (run_share > PATTERNED_RUN_SHARE) & (answered >= self.min_trials)
        scored, index, pairs = _inconsistency(events)
        index = pd.Series(np.where(pairs >= MIN_PAIRS, index, 0.0), index=scored).reindex(sessions).fillna(0.0)
        flags["inconsistent"] = index.to_numpy() > INCONSISTENCY_LIMIT
