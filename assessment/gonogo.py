"""Go/no-go: press for the green lamp, hold back for the red one.

Measures two things. *Inhibition* (self-control) is holding back on the rare no-go trials
when pressing has become a habit. *Vigilance* (focus) is staying on time on the frequent
go trials over four minutes, which lapses of attention break with misses and very slow
presses.

Response model. Per no-go trial the chance of a false press falls with the inhibition
trait on a logistic curve, rises slowly with fatigue, and is higher straight after a run
of go trials (the habit the task builds up). Go reaction times are ex-Gaussian: the
Gaussian part is the normal response, the exponential tail holds the attention lapses,
and its mean shrinks with vigilance; a lapse long enough runs past the response window
and becomes a miss. Careless players press on every trial, fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import ANTICIPATION_MS, share_by_session

RESPONSE_WINDOW_MS = 1000.0
ON_TIME_MS = 550.0
NOGO_SHARE = 0.25


class GoNoGo(Instrument):
    id = "gonogo"
    version = "1.0"
    title_en = "Green light, red light"
    title_nl = "Groen licht, rood licht"
    n_trials = 160
    min_trials = 60
    schema = EventSchema("gonogo", (
        EventField("stimulus", "category", "What was shown: 'go' (green) or 'nogo' (red).", choices=("go", "nogo")),
        EventField("responded", "bool", "Whether the player pressed within the response window."),
        EventField("rt_ms", "float", "Reaction time in ms when the player pressed; empty otherwise.",
                   low=0, high=RESPONSE_WINDOW_MS, nullable=True),
    ))
    scales = (
        Scale("gonogo.inhibition", "Holding back", "Inhouden",
              "Share of red-light trials on which the player held back (smoothed)."),
        Scale("gonogo.vigilance", "Staying alert", "Alert blijven",
              "Share of green-light trials answered on time (150–550 ms) (smoothed)."),
    )

    def simulate(self, theta, rng, *, careless=None):
        n, t = len(theta), self.n_trials
        inhibition, vigilance = theta[:, :1], theta[:, 1:2]
        nogo = rng.random((n, t)) < NOGO_SHARE
        nogo[:, :4] = False  # the game opens with go trials to build the habit
        progress = np.arange(t)[None, :] / t
        after_go_run = np.zeros((n, t), dtype=bool)
        after_go_run[:, 3:] = ~(nogo[:, :-3] | nogo[:, 1:-2] | nogo[:, 2:-1])
        commission_logit = -1.1 - 1.25 * inhibition + 0.5 * progress + 0.35 * after_go_run
        commission = rng.random((n, t)) < 1 / (1 + np.exp(-commission_logit))
        lapse_mean = np.exp(4.9 - 0.55 * vigilance) * (1 + 0.5 * progress)
        go_rt = rng.normal(390.0, 55.0, size=(n, t)) + rng.exponential(1.0, size=(n, t)) * lapse_mean
        # A pressed no-go is a fast slip: the habit ran before the red was seen.
        slip_rt = rng.normal(330.0, 50.0, size=(n, t))
        rt = np.where(nogo, slip_rt, go_rt).clip(120.0)
        responded = np.where(nogo, commission, rt < RESPONSE_WINDOW_MS)
        if careless is not None and careless.any():
            rows = np.flatnonzero(careless)
            responded[rows] = True
            rt[rows] = rng.normal(180.0, 40.0, size=(len(rows), t)).clip(90.0)
        rt = np.where(responded, np.round(rt, 1), np.nan)
        durations = 1500.0 + rng.uniform(0, 300, size=(n, t))
        return long_format({"t_ms": trial_clock(n, durations), "stimulus": np.where(nogo, "nogo", "go").astype(object),
                            "responded": responded, "rt_ms": rt})

    def raw_scores(self, events):
        sessions = pd.Index(pd.unique(events["session_id"]), name="session_id")
        nogo = events["stimulus"].to_numpy() == "nogo"
        responded = events["responded"].to_numpy(dtype=bool)
        rt = events["rt_ms"].to_numpy(dtype=float)
        on_time = responded & (rt >= ANTICIPATION_MS) & (rt <= ON_TIME_MS)
        keys = events["session_id"].to_numpy()
        frame = pd.DataFrame({"nogo": nogo, "held": nogo & ~responded, "go": ~nogo, "on_time": ~nogo & on_time})
        counts = frame.groupby(keys).sum().reindex(sessions).fillna(0)
        # Add-half smoothing keeps short halves and perfect runs finite and ordered.
        return pd.DataFrame({
            "gonogo.inhibition": (counts["held"] + 0.5) / (counts["nogo"] + 1.0),
            "gonogo.vigilance": (counts["on_time"] + 0.5) / (counts["go"] + 1.0),
        }, index=sessions)

    def specific_flags(self, events, flags):
        sessions = flags.index
        responded = events["responded"].to_numpy(dtype=bool)
        rt = events["rt_ms"].to_numpy(dtype=float)
        go = events["stimulus"].to_numpy() == "go"
        with np.errstate(invalid="ignore"):
            fast = responded & (rt < ANTICIPATION_MS)
        flags["too_fast"] = share_by_session(events, fast, sessions, among=responded).to_numpy() > 0.10
        missed_go = share_by_session(events, ~responded, sessions, among=go).to_numpy()
        flags["non_responding"] = missed_go > 0.60
