"""A history of past placements with the selection bias real records have.

A learned placement model can only learn from outcomes that were observed, and an
outcome is observed only for a person who was placed. Who was placed was decided by the
practice of the time, not at random. This module simulates that practice on a synthetic
market, year by year:

* each year, each consenting seeker is placed with probability ``placement_rate``;
* a placed seeker goes to one of their feasible vacancies (the same knock-outs as today),
  drawn with probability ``softmax(diploma score / temperature)``: the caseworkers of the
  past matched on diplomas, certificates and distance, as job boards do (see
  :class:`matching.baselines.DiplomaScorer`), with some randomness;
* whether the placement lasted six months is drawn from the market's hidden ground truth.

The records therefore over-represent well-educated, certified, nearby pairs, and no record
says what would have happened in a pair nobody tried. Because every record keeps the
probability with which its pair was chosen (``propensity``), a model can reweight the
records towards the pairs it will score (``weight``, inverse propensity, clipped). The
selection depends only on what the features show, so the conditional outcome model is not
biased by it; the weights matter where a model is too simple to fit every region of the
feature space equally well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.baselines import DiplomaScorer
from matching.candidates import N_REASONS, _feasible_pairs, block_size_for
from matching.features import pair_features
from matching.ranking_metrics import rank_within

HISTORY_COLUMNS = ("year", "seeker", "vacancy", "distance_km", "propensity", "weight", "lasted")
WEIGHT_CLIP_QUANTILE = 0.99


@dataclass(frozen=True, eq=False)
class PlacementHistory:
    """Past placements of one market; ``records`` has :data:`HISTORY_COLUMNS`.

    ``seeker`` and ``vacancy`` index the market's arrays; ``propensity`` is the chance that
    this seeker was placed in this vacancy that year; ``weight`` the clipped inverse of
    the propensity relative to a uniform choice among the seeker's feasible vacancies,
    normalised to mean 1; ``lasted`` the observed outcome.
    """

    records: pd.DataFrame
    market: object

    @property
    def n(self) -> int:
        return len(self.records)

    def features(self) -> np.ndarray:
        """The pair features of every record (float32, the model's schema)."""
        r = self.records
        return pair_features(self.market.seekers, self.market.vacancies, r["seeker"].to_numpy(),
                             r["vacancy"].to_numpy(), self.market.taxonomy,
                             distance_km=r["distance_km"].to_numpy(dtype=np.float32))

    def outcomes(self) -> np.ndarray:
        return self.records["lasted"].to_numpy(dtype=np.int8)

    def weights(self) -> np.ndarray:
        return self.records["weight"].to_numpy(dtype=float)


def _check(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name}: must be in [{low}, {high}], got {value}")


def generate_history(market, *, years: int = 3, placement_rate: float = 0.6, temperature: float = 0.08,
                     seed: int = 0, memory_budget_mb: float = 256.0) -> PlacementHistory:
    """Simulate *years* of past placements on *market* (see the module docstring).

    Examples
    --------
    >>> from matching.synthetic.market import generate_market
    >>> market = generate_market(n_seekers=300, n_vacancies=80, seed=3, passports="noise")
    >>> history = generate_history(market, years=2, seed=1)
    >>> set(history.records["lasted"].unique()) <= {0, 1}
    True
    """
    if years < 1:
        raise ValueError(f"years: must be at least 1, got {years}")
    _check("placement_rate", placement_rate, 0.0, 1.0)
    if not temperature > 0:
        raise ValueError(f"temperature: must be positive, got {temperature}")
    rng = np.random.default_rng(seed)
    seekers, vacancies = market.seekers, market.vacancies
    past_practice = DiplomaScorer()
    block = block_size_for(vacancies.n, memory_budget_mb)
    counts = np.zeros((seekers.n, N_REASONS), dtype=np.int32)
    parts = []
    for start in range(0, seekers.n, block):
        stop = min(start + block, seekers.n)
        s, v, d = _feasible_pairs(seekers, vacancies, start, stop, counts, None)
        if len(s) == 0:
            continue
        logit = past_practice(seekers, vacancies, s, v, d).astype(np.float64) / temperature
        local = s - start
        share = _softmax_within(local, logit, stop - start)
        # Against a uniform choice among the seeker's feasible vacancies.
        inverse_propensity = 1.0 / (np.bincount(local, minlength=stop - start)[local] * share)
        # Gumbel-max draws one vacancy per seeker and year with exactly the softmax chances.
        noise = rng.gumbel(size=(years, len(s)))
        for year in range(years):
            pick = np.flatnonzero(rank_within(local, logit + noise[year]) == 1)
            placed = pick[rng.random(len(pick)) < placement_rate]
            parts.append(pd.DataFrame({
                "year": np.full(len(placed), year, dtype=np.int16), "seeker": s[placed], "vacancy": v[placed],
                "distance_km": d[placed], "propensity": placement_rate * share[placed],
                "weight": inverse_propensity[placed]}))
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: [] for c in ("year", "seeker", "vacancy", "distance_km", "propensity", "weight")})
    records = records.sort_values(["year", "seeker"], kind="stable", ignore_index=True)
    weight = records["weight"].to_numpy()
    if len(weight):
        weight = np.minimum(weight, np.quantile(weight, WEIGHT_CLIP_QUANTILE))
        weight /= weight.mean()
    records["weight"] = weight
    p = market.truth.probability(seekers, vacancies, records["seeker"].to_numpy(), records["vacancy"].to_numpy())
    records["lasted"] = (rng.random(len(records)) < p).astype(np.int8)
    return PlacementHistory(records=records[list(HISTORY_COLUMNS)], market=market)


def _softmax_within(group: np.ndarray, logit: np.ndarray, n_groups: int) -> np.ndarray:
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, logit)
    e = np.exp(logit - top[group])
    return e / np.bincount(group, e, minlength=n_groups)[group]
