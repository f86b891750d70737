"""N-back: press when the letter is the same as the one *n* letters back.

Letters appear one at a time, every :data:`TRIAL_MS` ms. In a 1-back block the player
presses when a letter repeats the one just before it, in a 2-back block the one two before
it, in a 3-back block three before. The run is six blocks, loads 1-2-3-1-2-3; each block
opens with *n* letters that cannot be targets (there is nothing yet to compare with),
followed by :data:`SCORED_PER_BLOCK` letters of which :data:`TARGETS_PER_BLOCK` are
targets: 156 letters, five and a quarter minutes.

Fixed blocks rather than an adaptive staircase, because every player then meets the same
test: hit and false-alarm rates per load are comparable across players and norms, and the
score is continuous instead of the few integer levels a staircase ends on (whose
reliability hangs on the number of reversals). Two rounds of ascending load spread
practice and fatigue evenly over the loads.

Measures *working memory* (learning agility): keeping the last few letters in mind while
each new letter updates them.

Scoring. Per load, d' = z(hit rate) − z(false-alarm rate) with the log-linear correction
(add 0.5 to the counts and 1 to the totals, Hautus 1995), which keeps perfect or empty
halves finite and removes most of the bias of small counts. The scale is the mean d' over
the three loads weighted by load (1 : 2 : 3): the 1-back is easy for nearly everyone and
says little, the 3-back is where players differ most. A load missing from an unfinished
run is filled in from the loads played: the player's mean distance from the typical d'
on those (:data:`TYPICAL_D_PRIME`, from simulated norm play) added to the typical d' of
the missing load. Counting it as chance (d' = 0) instead would make every run stopped
before its first 3-back look like poor memory, when it is only a shorter test.

Response model. On each letter the item *n* back is still available in memory with a
chance that rises with the working-memory trait on a logistic curve and falls steeply with
load; it also rises a little with practice over the run. With the item available the
player presses on a target (97 %) and holds back on a non-target (98 %). Without it the
player guesses with their own response bias, the same for targets and non-targets, so
guesses carry no information. Reaction times are ex-Gaussian and slower for higher loads
and for guesses. Careless players press on every letter, press at random and fast, or do
not press at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import ANTICIPATION_MS, share_by_session

TRIAL_MS = 2000.0
LOADS = (1, 2, 3, 1, 2, 3)
SCORED_PER_BLOCK = 24
TARGETS_PER_BLOCK = 8
LOAD_WEIGHTS = {1: 1.0, 2: 2.0, 3: 3.0}
# Mean d' per load in a simulated norm group (20,000 complete runs): the 3-back costs about
# 1.5 d' against the 1-back.
TYPICAL_D_PRIME = {1: 2.95, 2: 2.25, 3: 1.40}


class NBackSchema(EventSchema):
    """The n-back's fields, plus the rules that tie them together within one event."""

    def validate(self, events):
        frame = super().validate(events)
        self.refuse_unpaired_response_times(frame, "letter")
        return frame



def _block_plan() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block number, load and whether a target may fall there, for every letter of a run."""
    block = np.concatenate([np.full(n + SCORED_PER_BLOCK, b) for b, n in enumerate(LOADS)])
    load = np.concatenate([np.full(n + SCORED_PER_BLOCK, n) for n in LOADS])
    may_match = np.concatenate([np.r_[np.zeros(n, dtype=bool), np.ones(SCORED_PER_BLOCK, dtype=bool)]
                                for n in LOADS])
    return block, load, may_match


class NBack(Instrument):
    id = "nback"
    version = "1.0"
    title_en = "Letter memory"
    title_nl = "Letters onthouden"
    n_trials = sum(LOADS) + len(LOADS) * SCORED_PER_BLOCK
    min_trials = 60
    schema = NBackSchema("nback", (
        EventField("block", "int", "0-based block of the run.", low=0, high=len(LOADS) - 1),
        EventField("load", "int", "How many letters back the player compares: 1, 2 or 3.", low=1, high=3),
        EventField("is_target", "bool", "Whether the letter equals the one `load` letters before it."),
        EventField("responded", "bool", "Whether the player pressed while the letter was on."),
        EventField("rt_ms", "float", "Reaction time in ms when the player pressed; empty otherwise.",
                   low=0, high=TRIAL_MS, nullable=True),
    ))
    scales = (
        Scale("nback.working_memory", "Remembering while doing", "Onthouden tijdens het werk",
              "Sensitivity d' (log-linear corrected) for letters that match the one 1, 2 or 3 back, "
              "averaged over the loads with weights 1 : 2 : 3."),
    )

    def simulate(self, theta, rng, *, careless=None):
        n, t = len(theta), self.n_trials
        memory = theta[:, :1]
        block, load, may_match = _block_plan()
        # Exactly TARGETS_PER_BLOCK targets per block, at random scored positions: rank random
        # keys within each block and take the lowest.
        keys = np.where(may_match, rng.random((n, t)), np.inf)
        starts = np.r_[0, np.cumsum([k + SCORED_PER_BLOCK for k in LOADS])[:-1]]
        is_target = np.zeros((n, t), dtype=bool)
        for start, size in zip(starts, [k + SCORED_PER_BLOCK for k in LOADS]):
            order = np.argsort(keys[:, start:start + size], axis=1)[:, :TARGETS_PER_BLOCK]
            np.put_along_axis(is_target[:, start:start + size], order, True, axis=1)
        progress = np.arange(t)[None, :] / t

        available_logit = 2.6 + 1.3 * memory - 1.5 * (load[None, :] - 1) + 0.4 * progress
        available = rng.random((n, t)) < 1 / (1 + np.exp(-available_logit))
        bias = rng.beta(3.0, 7.0, size=(n, 1))
        press_when_known = np.where(is_target, 0.97, 0.02)
        press_chance = np.where(available, press_when_known, bias)
        responded = rng.random((n, t)) < press_chance
        known_rt = 450.0 + 90.0 * (load[None, :] - 1)
        rt = (rng.normal(np.where(available, known_rt, known_rt + 200.0), 90.0)
              + rng.exponential(150.0, size=(n, t))).clip(200.0, TRIAL_MS)

        if careless is not None and careless.any():
            rows = np.flatnonzero(careless)
            style = rng.integers(0, 3, size=(len(rows), 1))
            responded[rows] = np.select([style == 0, style == 1], [True, rng.random((len(rows), t)) < 0.5], False)
            rt[rows] = rng.normal(170.0, 60.0, size=(len(rows), t)).clip(50.0)
        rt = np.where(responded, np.round(rt, 1), np.nan)
        durations = np.full((n, t), TRIAL_MS) + rng.uniform(0, 20, size=(n, t))
        return long_format({"t_ms": trial_clock(n, durations), "block": np.tile(block, (n, 1)),
                            "load": np.tile(load, (n, 1)), "is_target": is_target,
                            "responded": responded, "rt_ms": rt})

    def raw_scores(self, events):
        sessions = pd.Index(pd.unique(events["session_id"]), name="session_id")
        target = events["is_target"].to_numpy(dtype=bool)
        responded = events["responded"].to_numpy(dtype=bool)
        frame = pd.DataFrame({"targets": target, "hits": target & responded,
                              "others": ~target, "false_alarms": ~target & responded})
        counts = frame.groupby([events["session_id"].to_numpy(), events["load"].to_numpy()]).sum()
        hit_rate = (counts["hits"] + 0.5) / (counts["targets"] + 1.0)
        false_alarm_rate = (counts["false_alarms"] + 0.5) / (counts["others"] + 1.0)
        d_prime = (ndtri(hit_rate) - ndtri(false_alarm_rate)).unstack()
        d_prime = d_prime.reindex(index=sessions, columns=list(LOAD_WEIGHTS)).to_numpy()
        weights = np.array(list(LOAD_WEIGHTS.values()))
        typical = np.array(list(TYPICAL_D_PRIME.values()))
        played = ~np.isnan(d_prime)
        distance = np.where(played, d_prime - typical, 0.0)
        offset = (distance @ weights) / (played @ weights)
        filled = np.where(played, d_prime, typical + offset[:, None])
        return pd.DataFrame({"nback.working_memory": filled @ weights / weights.sum()}, index=sessions)

    def specific_flags(self, events, flags):
        sessions = flags.index
        responded = events["responded"].to_numpy(dtype=bool)
        rt = events["rt_ms"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            fast = responded & (rt < ANTICIPATION_MS)
        flags["too_fast"] = share_by_session(events, fast, sessions, among=responded).to_numpy() > 0.10
        pressed = share_by_session(events, responded, sessions).to_numpy()
        # A third of the letters are targets: pressing on almost none or almost all of them
        # ignores the letters.
        flags["non_responding"] = pressed < 0.05
        flags["patterned"] = pressed > 0.80
