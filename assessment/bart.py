"""Balloon pumping: every pump adds money to the balloon, but pump once too often and it bursts.

The balloon analogue risk task (BART, Lejuez et al., 2002). The player gets 30 balloons.
Each pump earns 5 cents into a temporary bank; *collect* moves the balloon's money to the
safe total and brings the next balloon; a burst loses that balloon's money. Each balloon
bursts at a hidden pump drawn uniformly from 1..64 (every pump equally likely to be the
fatal one, as in the classic 1..128 schedule at half the range, so the game takes about
four minutes instead of eight). Pumping on towards 32, where the expected earnings peak,
already means a one-in-two chance of losing the balloon.

Measures one thing, *prudence*: how much risk the player takes for a modest gain, which
feeds safety awareness. The classic score, the adjusted average pumps (mean pumps on the
balloons that did not burst), measures risk-taking but is a poor safety score: it ignores
the bursts themselves and it is not monotone — collecting early a balloon that would have
burst adds it to the average and can *raise* the risk score. Here each balloon's *risk
exposure* is its pumps, plus :data:`BURST_PENALTY` (16 pumps, a quarter of the range) if it
burst. A burst hides how far the player meant to go: with the burst point uniform below
the aim, the unseen part of the aim averages half the aim, 16 pumps for a player aiming at
the expected-value optimum of 32; and a safety score should count the realised loss. (On
simulated play this penalty also recovers the trait better than none, than half the
range, or than the adjusted average pumps.) Prudence is one minus the mean exposure as a
share of its maximum, so it lies in 0..1, higher is more prudent, and collecting any
balloon earlier never lowers it. Prudence is not an inverted U around the optimum: in a
safety context less exposure is the better habit, and a score that punished caution
would not be monotone. Collecting every balloon at once scores highest; when that comes
with no thought behind it, the quality flags say so. Thirty balloons take about four
minutes; split-half reliability on simulated play is about 0.91.

Response model. A player aims each balloon at a number of pumps around a personal level
that falls with prudence (log-normal from balloon to balloon). Players start a little
careful and settle in over the first balloons, some drift bolder or warier over the run,
and all aim lower on the balloon straight after a burst (the well-known sequential
effect). Now and then a balloon is played without a plan (an aim drawn at random). Pump
intervals and the time to decide to collect are ex-Gaussian; pumping speeds up over the
run. Careless players either mash the pump button without ever collecting, or collect
every balloon at once, both far faster than anyone watching the balloon can act.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import ANTICIPATION_MS, share_by_session

MAX_BURST = 64                      # the balloon bursts at a pump drawn from 1..MAX_BURST
BURST_PENALTY = MAX_BURST / 4       # extra exposure of a burst balloon, in pumps
MAX_EXPOSURE = MAX_BURST + BURST_PENALTY
# A mean pump interval or collect decision below the anticipation limit means the player
# acted without watching the balloon; more than a quarter of such balloons is careless play.
FAST_SHARE = 0.25
# Bursting (or collecting at once) nearly every balloon is one fixed response, not a choice.
PATTERN_SHARE = 0.90


class BalloonRisk(Instrument):
    id = "bart"
    version = "1.0"
    title_en = "Balloon pump"
    title_nl = "Ballon oppompen"
    n_trials = 30
    min_trials = 12
    schema = EventSchema("bart", (
        EventField("pumps", "int", "Pumps on this balloon, the one that burst it included.", low=0, high=MAX_BURST),
        EventField("exploded", "bool", "Whether the balloon burst (true) or the player collected (false)."),
        EventField("pump_ms", "float", "Mean ms per pump: from the balloon's appearance to the first pump, "
                   "then between pumps; empty when the player did not pump.", low=0, high=60_000, nullable=True),
        EventField("cash_ms", "float", "Ms from the last pump (or the balloon's appearance) to pressing collect; "
                   "empty when the balloon burst.", low=0, high=120_000, nullable=True),
    ))
    scales = (
        Scale("bart.prudence", "Careful with risk", "Voorzichtig met risico",
              "One minus the mean risk exposure per balloon (pumps, plus a quarter of the burst range "
              "for a burst balloon) as a share of its maximum; higher is more prudent."),
    )

    def simulate(self, theta, rng, *, careless=None):
        n, t = len(theta), self.n_trials
        prudence = theta[:, :1]
        burst_at = rng.integers(1, MAX_BURST + 1, size=(n, t))
        usual_aim = 17.0 * np.exp(-0.42 * prudence)
        balloon_noise = np.exp(rng.normal(0.0, 0.40, size=(n, t)))
        unplanned = rng.random((n, t)) < 0.05
        random_aim = rng.integers(1, MAX_BURST + 1, size=(n, t))
        settling_in = 0.82 + 0.18 * np.minimum(np.arange(t) / 8.0, 1.0)
        # Some players grow bolder over the run, others warier: a personal drift in log aim.
        drift = np.exp(rng.normal(0.0, 0.30, size=(n, 1)) * (np.arange(t)[None, :] / t - 0.5))
        pumps = np.empty((n, t), dtype=np.int64)
        exploded = np.empty((n, t), dtype=bool)
        after_burst = np.zeros(n, dtype=bool)
        for balloon in range(t):  # the sequential effect needs the previous balloon's outcome
            wariness = np.where(after_burst, 0.85, 1.0)
            aim = np.round(usual_aim[:, 0] * settling_in[balloon] * drift[:, balloon] * wariness
                           * balloon_noise[:, balloon])
            aim = np.where(unplanned[:, balloon], random_aim[:, balloon], aim)
            exploded[:, balloon] = aim >= burst_at[:, balloon]
            pumps[:, balloon] = np.minimum(aim, burst_at[:, balloon])
            after_burst = exploded[:, balloon]

        progress = np.arange(t)[None, :] / t
        # The mean of k ex-Gaussian intervals: Gaussian part shrinks by sqrt(k), the
        # exponential part becomes a Gamma(k) mean.
        per_pump = np.maximum(pumps, 1)
        speed = rng.normal(310.0, 55.0, size=(n, 1)).clip(190.0)
        tail = rng.uniform(50.0, 140.0, size=(n, 1))
        pump_ms = (speed * (1 - 0.15 * progress) + rng.normal(0.0, 45.0, size=(n, t)) / np.sqrt(per_pump)
                   + rng.gamma(per_pump, tail / per_pump)).clip(160.0)
        cash_ms = (rng.normal(520.0, 110.0, size=(n, t)) + rng.exponential(350.0, size=(n, t))).clip(220.0)

        if careless is not None and careless.any():
            rows = np.flatnonzero(careless)
            mash = rng.random(len(rows)) < 0.5
            masher, grabber = rows[mash], rows[~mash]
            # A masher never collects: every balloon runs to its burst.
            pumps[masher] = burst_at[masher]
            exploded[masher] = True
            pump_ms[masher] = rng.normal(105.0, 20.0, size=(len(masher), t)).clip(60.0)
            # A grabber collects at once, sometimes after one reflex pump.
            grab_pumps = rng.integers(0, 2, size=(len(grabber), t))
            pumps[grabber] = grab_pumps
            exploded[grabber] = grab_pumps >= burst_at[grabber]
            pump_ms[grabber] = rng.normal(120.0, 30.0, size=(len(grabber), t)).clip(50.0)
            cash_ms[grabber] = rng.normal(115.0, 30.0, size=(len(grabber), t)).clip(40.0)

        pump_ms = np.where(pumps > 0, np.round(pump_ms, 1), np.nan)
        cash_ms = np.where(exploded, np.nan, np.round(cash_ms, 1))
        outcome_ms = np.where(exploded, 1200.0, np.nan_to_num(cash_ms))  # burst animation or collect
        durations = np.nan_to_num(pump_ms) * pumps + outcome_ms + 800.0
        return long_format({"t_ms": trial_clock(n, durations), "pumps": pumps, "exploded": exploded,
                            "pump_ms": pump_ms, "cash_ms": cash_ms})

    def raw_scores(self, events):
        sessions, codes = _session_codes(events)
        exposure = (events["pumps"].to_numpy(dtype=float)
                    + BURST_PENALTY * events["exploded"].to_numpy(dtype=bool))
        balloons = np.bincount(codes, minlength=len(sessions))
        mean_exposure = np.bincount(codes, weights=exposure, minlength=len(sessions)) / balloons
        return pd.DataFrame({"bart.prudence": 1.0 - mean_exposure / MAX_EXPOSURE}, index=sessions)

    def specific_flags(self, events, flags):
        sessions = flags.index
        pumps = events["pumps"].to_numpy()
        exploded = events["exploded"].to_numpy(dtype=bool)
        with np.errstate(invalid="ignore"):
            fast = ((events["pump_ms"].to_numpy(dtype=float) < ANTICIPATION_MS)
                    | (events["cash_ms"].to_numpy(dtype=float) < ANTICIPATION_MS))
        flags["too_fast"] = share_by_session(events, fast, sessions).to_numpy() > FAST_SHARE
        never_collects = share_by_session(events, exploded, sessions).to_numpy() >= PATTERN_SHARE
        collects_at_once = share_by_session(events, ~exploded & (pumps <= 1), sessions).to_numpy() >= PATTERN_SHARE
        flags["patterned"] = never_collects | collects_at_once


def _session_codes(events: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    """The sessions in order of appearance and each event's position among them."""
    codes, uniques = pd.factorize(events["session_id"], sort=False)
    return pd.Index(uniques, name="session_id"), codes
