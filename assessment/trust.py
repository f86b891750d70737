"""Trust game: partners invest in the player, and the player decides how much to give back.

A repeated trust game (Berg, Dickhaut & McCabe, 1995) with the player as trustee. Each of
24 rounds, a simulated partner holds 10 tokens. First the player promises what share of
the tokens they will receive they will give back (0–100 %, in steps of ten). Then the partner sends 1–10
tokens, which are tripled on arrival, and the player chooses how many of the received
tokens to send back. Four kinds of partner take turns: *generous* partners send 8–10
tokens, *cautious* ones 1–3, *unpredictable* ones anything, and *reciprocal* ones send
more the larger the share the player returned to them last time, and a little more when
promised more. Every kind appears twice in each block of eight rounds, once on an odd and
once on an even round, so the split halves see the same partners. The game takes about
three minutes. The player is never the investor: investing measures trust in others, a
different construct, and would lengthen the game without sharpening this score.

Measures one thing, *reciprocity*: returning a fair share of what others entrusted, to
every partner, and keeping one's word. Per round the credit is the share returned of
what was received, capped at two thirds (:data:`FAIR_SHARE`: returning two thirds leaves
partner and player with the same gain from the investment, so giving away more is not
fairer), minus the share by which the return fell short of the promise. The score is the
mean credit per kind of partner, averaged over the kinds of partner played, so a player
who returns fairly to generous partners but keeps everything from cautious ones loses a
quarter of the score's weight, however few tokens the cautious partners sent. It lies in -1..2/3;
returning more in any round never lowers it. Split-half reliability on simulated play is
about 0.96.

Response model. A player has a personal fair share, rising with reciprocity on a logistic
curve from almost nothing to over half. Less reciprocal players return less to partners
who sent little (conditional rather than principled fairness), drop their returns in the
last rounds when no future partner can punish them, and promise more than they mean to
return. Most return a slightly larger share of a larger investment, by how much differs
from player to player, as does the snub to small investors. Round-to-round variation is
Gaussian around the aim, and now and then a return is chosen at random.
Decision times are ex-Gaussian and shorten with practice. Careless players decide in a
fraction of a second, returning the same few tokens every round or a random amount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import share_by_session

PARTNERS = ("generous", "cautious", "unpredictable", "reciprocal")
ENDOWMENT = 10
MULTIPLIER = 3
FAIR_SHARE = 2 / 3
BLOCK = 2 * len(PARTNERS)
# Reading the tripled amount and setting a return takes well over half a second; more than
# a quarter of faster decisions is not play.
MIN_DECISION_MS = 500.0
FAST_SHARE = 0.25
# Returning the very same positive number of tokens in most rounds, whatever was received,
# ignores the partner; always returning nothing is a strategy and is scored, not flagged.
PATTERN_SHARE = 0.70


class TrustGame(Instrument):
    id = "trust"
    version = "1.0"
    title_en = "Give and take"
    title_nl = "Geven en nemen"
    n_trials = 24
    min_trials = 8
    schema = EventSchema("trust", (
        EventField("partner", "category", "The kind of simulated partner this round.", choices=PARTNERS),
        EventField("promised_pct", "int", "Share of the tokens to be received that the player promised to "
                   "return, in percent; empty when the round had no promise stage.", low=0, high=100, nullable=True),
        EventField("received", "int", "Tokens the player received: the partner's investment, tripled.",
                   low=1, high=ENDOWMENT * MULTIPLIER),
        EventField("returned", "int", "Tokens the player sent back.", low=0, high=ENDOWMENT * MULTIPLIER),
        EventField("rt_ms", "float", "Ms from seeing the amount received to confirming the return.",
                   low=0, high=300_000),
    ))
    scales = (
        Scale("trust.reciprocity", "Fair to others", "Eerlijk naar anderen",
              "Share of the received tokens returned (capped at the fair two thirds), less any shortfall "
              "against the promise; averaged per kind of partner, then over the kinds."),
    )

    def simulate(self, theta, rng, *, careless=None):
        n, t = len(theta), self.n_trials
        reciprocity = theta[:, 0]
        partner = _partner_schedule(n, t, rng)
        fair_aim = 0.62 / (1 + np.exp(-(0.1 + 1.3 * reciprocity)))
        opportunism = 1 / (1 + np.exp(1.5 * reciprocity))  # near 1 for the least reciprocal
        endgame = np.arange(t) >= t - 3
        promised = np.clip(np.round((fair_aim[:, None] + 0.25 * opportunism[:, None]
                                     + rng.normal(0.0, 0.05, size=(n, t))) * 10) * 10, 0, 100)
        sent = np.empty((n, t), dtype=np.int64)
        returned = np.empty((n, t), dtype=np.int64)
        # How much the size of an investment sways a player varies from round to round, not
        # as a lasting trait of its own: a stable nuisance trait would be consistent across
        # split halves and so pass for reliability the scale does not have towards its skill.
        size_effect = rng.normal(0.04, 0.06, size=(n, t))
        snub_effect = 0.15 * opportunism[:, None] + rng.normal(0.0, 0.05, size=(n, t))
        noise = rng.normal(0.0, 0.10, size=(n, t))
        at_random = rng.random((n, t)) < 0.04
        random_share = rng.random((n, t))
        draws = {"generous": rng.integers(8, 11, size=(n, t)), "cautious": rng.integers(1, 4, size=(n, t)),
                 "unpredictable": rng.integers(1, 11, size=(n, t))}
        last_share_to_reciprocal = np.full(n, 0.3)
        careless_rows = np.zeros(n, dtype=bool) if careless is None else np.asarray(careless, dtype=bool)
        fixed_return = rng.integers(0, 4, size=n)
        fixed_player = rng.random(n) < 0.5
        for r in range(t):  # a reciprocal partner answers the player's last return to it
            kind = partner[:, r]
            reciprocal_sends = np.clip(np.round(2 + 12 * last_share_to_reciprocal + 2 * promised[:, r] / 100), 1, 10)
            sent[:, r] = np.select([kind == p for p in PARTNERS[:3]], [draws[p][:, r] for p in PARTNERS[:3]],
                                   reciprocal_sends)
            share = (fair_aim + size_effect[:, r] * (sent[:, r] - 5.5) / 4.5 - snub_effect[:, r] * (sent[:, r] <= 3)
                     - 0.10 * opportunism * endgame[r] + noise[:, r])
            share = np.where(at_random[:, r], random_share[:, r], share).clip(0.0, 1.0)
            received = MULTIPLIER * sent[:, r]
            back = np.round(share * received).astype(np.int64)
            careless_back = np.where(fixed_player, fixed_return, rng.integers(0, received + 1))
            returned[:, r] = np.where(careless_rows, careless_back, back)
            last_share_to_reciprocal = np.where(kind == "reciprocal", returned[:, r] / received,
                                                last_share_to_reciprocal)

        progress = np.arange(t)[None, :] / t
        speed = np.exp(rng.normal(0.0, 0.25, size=(n, 1)))
        rt_ms = (speed * (1 - 0.3 * progress) * rng.normal(1700.0, 350.0, size=(n, t))
                 + rng.exponential(900.0, size=(n, t))).clip(300.0)
        if careless_rows.any():
            rows = np.flatnonzero(careless_rows)
            rt_ms[rows] = rng.normal(260.0, 80.0, size=(len(rows), t)).clip(60.0)
            promised[rows] = np.where(fixed_player[rows, None], 50.0, rng.integers(0, 11, size=(len(rows), t)) * 10)
        durations = 2500.0 + 1500.0 + rt_ms + 1500.0  # promise, partner's move, decision, feedback
        return long_format({"t_ms": trial_clock(n, durations), "partner": partner,
                            "promised_pct": promised.astype(np.int64), "received": MULTIPLIER * sent,
                            "returned": returned, "rt_ms": np.round(rt_ms, 1)})

    def raw_scores(self, events):
        codes, uniques = pd.factorize(events["session_id"], sort=False)
        sessions = pd.Index(uniques, name="session_id")
        received = events["received"].to_numpy(dtype=float)
        share = np.minimum(events["returned"].to_numpy(dtype=float) / received, 1.0)
        promise = events["promised_pct"].to_numpy(dtype=float) / 100
        shortfall = np.nan_to_num(np.maximum(promise - share, 0.0))  # no promise, nothing to break
        credit = np.minimum(share, FAIR_SHARE) - shortfall
        kind = pd.Categorical(events["partner"], categories=PARTNERS).codes
        cell = codes * len(PARTNERS) + kind
        size = len(sessions) * len(PARTNERS)
        rounds = np.bincount(cell, minlength=size).reshape(-1, len(PARTNERS))
        total = np.bincount(cell, weights=credit, minlength=size).reshape(-1, len(PARTNERS))
        played = rounds > 0
        per_partner = np.divide(total, rounds, out=np.zeros_like(total), where=played)
        score = per_partner.sum(axis=1) / played.sum(axis=1)
        return pd.DataFrame({"trust.reciprocity": score}, index=sessions)

    def specific_flags(self, events, flags):
        sessions = flags.index
        rt = events["rt_ms"].to_numpy(dtype=float)
        flags["too_fast"] = share_by_session(events, rt < MIN_DECISION_MS, sessions).to_numpy() > FAST_SHARE
        keys = events["session_id"].to_numpy()
        returned = events["returned"].to_numpy()
        positive = pd.Series(returned > 0)
        # How often the session's most frequent positive return recurs, as a share of rounds.
        repeats = positive.groupby([keys, returned]).sum()
        most_repeated = repeats.groupby(level=0).max().reindex(sessions).fillna(0).to_numpy()
        rounds = pd.Series(keys).groupby(keys).size().reindex(sessions).fillna(1).to_numpy()
        varied = pd.Series(events["received"].to_numpy()).groupby(keys).nunique().reindex(sessions).fillna(1)
        flags["patterned"] = (most_repeated / rounds >= PATTERN_SHARE) & (varied.to_numpy() > 1)


def _partner_schedule(n: int, t: int, rng: np.random.Generator) -> np.ndarray:
    """Each block of eight rounds: every kind of partner once on an even and once on an odd round."""
    blocks = t // BLOCK
    kinds = np.array(PARTNERS, dtype=object)
    even = kinds[np.argsort(rng.random((n, blocks, len(PARTNERS))), axis=2)]
    odd = kinds[np.argsort(rng.random((n, blocks, len(PARTNERS))), axis=2)]
    return np.stack([even, odd], axis=3).reshape(n, blocks * BLOCK)
